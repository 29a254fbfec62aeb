package playgraph

import "fmt"

// Role is a user's role, as the host's user management assigns it.
// Authentication is the host's job; the engine trusts the Actor it is given.
type Role uint8

// Roles.
const (
	// RolePrimaryAdmin is the organisation's primary administrator.
	RolePrimaryAdmin Role = iota + 1
	// RoleAdmin is an administrator of the application.
	RoleAdmin
	// RoleMarketing is a marketing user.
	RoleMarketing
	// RoleOperations is an operations user.
	RoleOperations
	// RoleViewOnly may read but change nothing.
	RoleViewOnly
)

var roleNames = [...]string{"", "primary administrator", "administrator", "marketing user", "operations user", "view-only user"}

// String returns the role's name.
func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r >= RolePrimaryAdmin && r <= RoleViewOnly }

// Actor is the person making a call: every mutating method a person calls
// takes one. Data feeds (RecordEngagement) take none.
type Actor struct {
	UserID string
	Role   Role
}

// System is the actor the scheduler runs workflows as; its runs count
// against the workflow's owner.
var System = Actor{UserID: "", Role: RolePrimaryAdmin}

// Permission is something an actor may be allowed to do.
type Permission uint8

// Permissions.
const (
	// PermRead: view workflows, runs, state and the inbox.
	PermRead Permission = iota + 1
	// PermEdit: create, edit, duplicate, delete drafts, publish, unpublish,
	// archive, run, preview, retry and remove accounts.
	PermEdit
	// PermAdmin: distribute credits and forget personal data.
	PermAdmin
)

var permNames = [...]string{"", "read", "edit", "administer"}

// String returns the permission's name.
func (p Permission) String() string {
	if int(p) < len(permNames) {
		return permNames[p]
	}
	return fmt.Sprintf("Permission(%d)", uint8(p))
}

// Can reports whether the actor's role grants p.
func (a Actor) Can(p Permission) bool {
	switch p {
	case PermRead:
		return a.Role.Valid()
	case PermEdit:
		return a.Role >= RolePrimaryAdmin && a.Role <= RoleOperations
	case PermAdmin:
		return a.Role == RolePrimaryAdmin || a.Role == RoleAdmin
	}
	return false
}

func (a Actor) require(p Permission, what string) error {
	if a.Can(p) {
		return nil
	}
	return &ForbiddenError{Actor: a, Permission: p, Action: what}
}

// ForbiddenError says an actor lacked a permission. It matches ErrForbidden.
type ForbiddenError struct {
	Actor      Actor
	Permission Permission
	Action     string
}

func (e *ForbiddenError) Error() string {
	role := e.Actor.Role.String()
	if !e.Actor.Role.Valid() {
		role = "no valid role"
	}
	return fmt.Sprintf("playgraph: forbidden: %s needs %s permission; user %q has %s", e.Action, e.Permission, e.Actor.UserID, role)
}

// Unwrap returns ErrForbidden.
func (e *ForbiddenError) Unwrap() error { return ErrForbidden }
