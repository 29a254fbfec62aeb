package eval

import (
	"slices"

	"github.com/playgraph/playgraph/audience"
)

// PersonaFilter converts p to a structured contact filter with the same
// semantics as p.Matches: compile it with Compiler{Subject:
// audience.SubjectContact} and evaluate it per Env.Contact, or use its
// conditions inside an account filter, where each holds when any contact
// matches it. Title keywords become contact.title contains_any, levels,
// functions and countries become in conditions (all ignoring case), ANDed.
// The zero Persona gives the zero Filter, which matches every contact.
func PersonaFilter(p audience.Persona) Filter {
	var f Filter
	add := func(field string, op Op, vs []string) {
		if len(vs) > 0 {
			f.Conditions = append(f.Conditions, Condition{Field: field, Op: op, Values: slices.Clone(vs)})
		}
	}
	add("contact.title", ContainsAny, p.TitleKeywords)
	add("contact.job_level", In, p.JobLevels)
	add("contact.job_function", In, p.JobFunctions)
	add("contact.country", In, p.Countries)
	return f
}
