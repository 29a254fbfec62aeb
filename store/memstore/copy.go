package memstore

import (
	"maps"
	"slices"

	"github.com/playgraph/playgraph/store"
)

// Records are deep-copied on the way in and on the way out, so that neither
// a caller reusing its slices nor one mutating a result can change what the
// store holds.

func copyIntent(in *store.Intent) store.Intent {
	out := *in
	out.Created = utc(in.Created)
	if in.Items != nil {
		out.Items = make([]store.Item, len(in.Items))
		for i, it := range in.Items {
			if it.Contact != nil {
				c := *it.Contact
				it.Contact = &c
			}
			out.Items[i] = it
		}
	}
	return out
}

func copyWorkflow(w *store.Workflow) *store.Workflow {
	out := *w
	out.Schedule = slices.Clone(w.Schedule)
	out.Options = slices.Clone(w.Options)
	out.CreatedAt = utc(w.CreatedAt)
	out.UpdatedAt = utc(w.UpdatedAt)
	return &out
}

func copyVersion(v *store.Version) *store.Version {
	out := *v
	out.Graph = slices.Clone(v.Graph)
	out.CreatedAt = utc(v.CreatedAt)
	return &out
}

func copyRun(r *store.Run) *store.Run {
	out := *r
	out.Now = utc(r.Now)
	out.StartedAt = utc(r.StartedAt)
	out.EndedAt = utc(r.EndedAt)
	if r.Counts != nil {
		out.Counts = make(map[string]store.RunNodeCounts, len(r.Counts))
		for k, c := range r.Counts {
			c.Paths = maps.Clone(c.Paths)
			out.Counts[k] = c
		}
	}
	out.Errors = slices.Clone(r.Errors)
	out.Published = slices.Clone(r.Published)
	return &out
}
