// Package eval is playgraph's filter language: the conditions decision
// nodes, timers, segments and persona filters evaluate against an account.
//
// A [Filter] is written in one of two forms, with one semantics, both
// compiled once by a [Compiler] into an immutable [Program]:
//
//   - structured: numbered [Condition]s (field, operator, values), as in a
//     condition panel, joined by a logic line such as "1 AND (2 OR NOT 3)".
//     Conditions compile to typed Go closures chosen by field type at
//     compile time: no interpreter and no boxing on the hot path.
//   - expression: an expr-lang expression
//     (https://expr-lang.org) such as
//     `buying_stage in ["Decision","Purchase"] && intent_score >= 70`,
//     type-checked against the environment below and compiled to expr
//     bytecode.
//
// [Render] turns a structured filter into an expression with the same
// semantics; a differential fuzz test (FuzzDifferential) keeps the two
// back-ends in step.
//
// # Evaluation
//
// A Program evaluates an [Env]: the account (required, passed by pointer),
// its contacts when [Program.NeedsContacts] says so, extra engagement
// events, the run's logical time Now (the only clock a filter ever sees),
// the time the account entered its current node, its path with entry
// times, and a [SegmentResolver]. [Program.Match] is safe for concurrent
// use; expressions then borrow a pooled [Runner]. On hot loops give each
// goroutine its own Runner (it reuses one expr VM) and reuse one Env,
// changing its Account:
//
//	var r eval.Runner
//	env := &eval.Env{Now: now, Segments: segs}
//	for _, a := range accounts {
//		env.Account = a
//		ok, err := r.Match(p, env)
//		...
//	}
//
// [Program.Explain] evaluates every numbered condition and reports which
// held (or the expression's value); it is slower and meant for previews and
// audits, not the hot path.
//
// # Fields
//
// Filters name catalogue fields ([audience.Catalog], default
// [audience.DefaultCatalog]): id, name, domain, country, region, industry
// (strings); employees, intent_score (ints); revenue (float); buying_stage
// (a stage); profile_fit (a fit); keywords, researched_competitors (lists of
// strings); last_visit, created_at (times); declared attributes crm.<key>,
// map.<key>, custom.<key> of their declared type; and contact fields
// contact.id, contact.first_name, contact.last_name, contact.name,
// contact.email, contact.title, contact.job_level, contact.job_function,
// contact.country, contact.phone. A crm., map. or custom. name the
// catalogue does not declare is an ErrUndeclared problem.
//
// An attribute missing from the account (or stored with the wrong type)
// reads as its type's zero value: "", 0, false, the zero time, an empty
// list.
//
// Contact fields: in an account filter (Compiler.Subject zero or
// audience.SubjectAccount) a structured condition on a contact field holds
// when any of Env.Contacts satisfies it (each condition on its own), and
// the program's NeedsContacts is true. With Compiler.Subject ==
// audience.SubjectContact the filter is a persona filter evaluated per
// Env.Contact; account fields still read Env.Account. [PersonaFilter]
// converts an [audience.Persona] to such a filter with the semantics of
// Persona.Matches.
//
// # Structured operators
//
// Values are strings parsed for the field's type at compile time: integers
// in Go syntax (1000, 0x3e8), floats (2.5e8; finite), bools (true/false),
// times in RFC 3339 or as a date 2006-01-02 (midnight UTC), stage and fit
// names in any case, day counts 0–100000. A value that does not parse, a
// wrong number of values, or an operator that does not apply to the field's
// type is a problem naming the condition.
//
//	op                 types                         meaning
//	eq, ne             all but lists                 equal / not equal
//	in, not_in         string, int, float, stage, fit one of / none of the values
//	                   list                          holds any / none of the values
//	contains           string                        contains the value
//	                   list                          holds the value
//	contains_any/_all  string                        contains any / all of the values
//	                   list                          holds any / all of the values
//	starts_with        string                        starts with the value
//	gt, gte, lt, lte   int, float, time              ordered comparison
//	between            int, float, time              values[0] <= field <= values[1]
//	is_empty           all                           "", empty list, zero time, unknown
//	is_not_empty       all                           stage/fit, absent attribute
//	within_last_days   time                          set and in [now - N×24h, now]
//	stage_at_least     buying_stage (field optional) stage >= value (unknown: false)
//	stage_at_most      buying_stage (field optional) stage <= value (unknown: false)
//	engaged            no field; values[0] ad node   see engaged() below
//	in_segment         no field; values[0] segment   see in_segment() below
//
// String operators ignore case: eq, ne, in and not_in compare with Unicode
// case folding (strings.EqualFold); contains, contains_any, contains_all
// and starts_with compare lower-cased strings, like audience.Persona. Built-in
// numeric, bool and time fields are never empty; a zero time is earlier than
// every date, so combine lt with is_not_empty when "never" must not match.
// gt/lt/between on buying_stage or profile_fit are problems that point to
// stage_at_least / stage_at_most.
//
// The logic line uses condition numbers, AND, OR, NOT (any case) and
// parentheses; NOT binds tighter than AND, AND tighter than OR. An empty
// logic line ANDs every condition. A number with no condition, an
// unbalanced parenthesis or a stray token is a problem with its column. A
// condition the logic line never names is compiled and validated but never
// evaluated, and reported by [Program.Warnings].
//
// # Expression environment
//
// Every catalogue field is a name of its type: strings, int (employees,
// intent_score), float64, bool, time.Time, []string; buying_stage and
// profile_fit read as their names ("Decision", "Strong"; "" when unknown),
// so `buying_stage in ["Decision","Purchase"]` and
// `profile_fit == "Strong"` work, while <, >, <= and >= on them are
// compile errors pointing to stage_at_least / stage_at_most, and a literal
// that is not a stage or fit name (names are case-sensitive here) is a
// problem. Attributes read as crm.owner, map.score, custom.tier.
//
// Other names:
//
//	now               Env.Now (time.Time); expr's now() builtin is disabled
//	entered_at        Env.EnteredAt
//	contacts          the account's contacts, for any(contacts, .title contains "VP"),
//	                  all(...), count(...), len(contacts) (account filters only)
//	contact           the contact of a persona filter: contact.title (contact filters only)
//
// Inside a predicate over contacts, .title, .job_level, ... read the
// contact's fields (the catalogue names without "contact.").
//
// Functions:
//
//	stage_at_least("Consideration")   buying stage >= the named stage (literal; any case)
//	stage_at_most("Decision")         buying stage <= the named stage
//	engaged("ad1")                    engagement with ad node ad1 since the account entered it
//	in_segment("seg")                 Env.Segments.InSegment("seg", account id); false if nil
//	within_last_days(t, n)            t set and in [now - n×24h, now]
//	is_empty(field)                   the structured is_empty of a field (crm.x, .title too)
//	equal_fold(s, t)                  s equals t ignoring case
//	one_of_fold(s, ["a", "b"])        s equals one of the list ignoring case
//	contains_fold(s, sub)             s contains sub ignoring case
//	contains_any_fold(s, [...])       s contains any of the list ignoring case
//	contains_all_fold(s, [...])       s contains all of the list ignoring case
//	prefix_fold(s, p)                 s starts with p ignoring case
//	has_fold(list, v)                 list holds v ignoring case
//	has_any_fold(list, [...])         list holds any of the values ignoring case
//	has_all_fold(list, [...])         list holds all of the values ignoring case
//
// plus expr's operators and builtins (==, in, contains, startsWith,
// matches, len, upper, lower, any, all, count, date, duration, let, ?:...).
// date() without a time zone parses in UTC; nothing reads the wall clock.
// The arguments of stage_at_least, stage_at_most, engaged and in_segment
// must be string literals, so [Program.Fields], [Program.Segments] and
// [Program.EngagedNodes] are known at compile time and engaged() targets
// are resolved by Compiler.AdNode then (an unknown node is an
// ErrUnknownNode problem). The expression must be boolean (expr.AsBool);
// unknown names, syntax errors and type errors are problems with line and
// column.
//
// engaged("n") holds when there is an engagement event (Account.Events or
// Env.Events) of any kind but impression, on the ad node's channel, whose
// campaign is the node's campaign or the node id, at or after the time the
// account last entered n (from Env.Path) and not after Env.Now; it is
// false when n is not on the path.
//
// # Bounds and errors
//
// Expressions are at most MaxExprBytes bytes and MaxExprNodes syntax nodes;
// structured filters at most MaxConditions conditions (and a logic line of
// MaxExprBytes). At run time expr's memory budget stops runaway
// allocations. Compile returns a *[CompileError] listing every [Problem]
// found, each with a [Position] (condition number, logic column, or
// expression line:column) and a sentinel error (ErrUnknownField,
// ErrUndeclared, ErrType, ErrLogic, ErrSyntax, ErrNotBoolean, ErrTooLarge,
// ErrUnknownNode, ErrBadValue) for errors.Is. Expressions stop at the first
// type error expr's checker reports, after every name problem. Match
// returns ErrNoAccount, ErrNoContact or ErrRuntime; it never panics.
//
// # Concurrency
//
// Compilers, Programs and the Filters they keep are immutable and safe for
// concurrent use. A Runner is not: use one per goroutine.
package eval
