package audience

import (
	"slices"
	"strings"
)

// Persona describes the people an action wants: title keywords (any may
// appear in the title, ignoring case), job levels, job functions and
// countries (each: any of the listed values, ignoring case). An empty list
// places no constraint; the zero Persona matches every contact.
//
// Connectors that buy contacts receive a Persona; filters over contacts in
// package eval express the same constraints and more.
type Persona struct {
	TitleKeywords []string `json:"title_keywords,omitempty"`
	JobLevels     []string `json:"job_levels,omitempty"`
	JobFunctions  []string `json:"job_functions,omitempty"`
	Countries     []string `json:"countries,omitempty"`
}

// IsZero reports whether p places no constraint.
func (p Persona) IsZero() bool {
	return len(p.TitleKeywords) == 0 && len(p.JobLevels) == 0 && len(p.JobFunctions) == 0 && len(p.Countries) == 0
}

// Matches reports whether c fits the persona.
func (p Persona) Matches(c *Contact) bool {
	if c == nil {
		return false
	}
	if len(p.TitleKeywords) > 0 {
		t := strings.ToLower(c.Title)
		if !slices.ContainsFunc(p.TitleKeywords, func(k string) bool { return strings.Contains(t, strings.ToLower(k)) }) {
			return false
		}
	}
	return anyFold(p.JobLevels, c.JobLevel) && anyFold(p.JobFunctions, c.JobFunction) && anyFold(p.Countries, c.Country)
}

func anyFold(list []string, v string) bool {
	if len(list) == 0 {
		return true
	}
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, v) })
}
