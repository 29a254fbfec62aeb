package csv

// SetBeforeRename installs the test hook run between writing the temporary
// file and renaming it.
func (c *Connector) SetBeforeRename(f func(tmp string) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.beforeRename = f
}
