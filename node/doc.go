// Package node defines the kinds of node a workflow graph is made of, with
// typed builders and per-node validation.
//
// # Kinds
//
//   - [*Start]: the segment whose members enter the workflow. Output: next.
//   - [*Decision]: an IF. Mode [YesNo] routes by one filter to "yes" or
//     "no"; mode [Branching] tries ordered named branches, each with a
//     filter, and sends the account down the first that matches (at most
//     one), or "all_others". Each branch's name is its path name.
//   - [*Action]: a THEN, by kind: ad audience (6sense display, LinkedIn,
//     Google, Meta), conversational email, CRM / MAP / SEP campaign push,
//     purchase contacts, save purchased contacts, create account in CRM,
//     remove audience. Output: next. [ActionConfig] holds the per-kind
//     configuration; see [Action] for the table of kinds, levels and
//     connector capabilities.
//   - [*Timer]: a wait, for a [schedule.Span] or until a date-time. Without
//     conditions its output is "next"; with conditions (a filter) it has
//     "met" (the conditions held first) and "time_up".
//
// An output path left unconnected means the account leaves the flow there.
//
// # Identity and names
//
// Every node has an ID (stable across versions of a workflow, unique in the
// graph, 1-64 characters of a-z, 0-9, '_', '-') and a Label (unique in the
// graph, what people see). Actions name their connector, mapping profile
// and match rules: the names are resolved by the engine when the workflow
// is published, never here.
//
// # Levels, capabilities, credits
//
// An action acts on the account ([LevelAccount]: ad audiences, create
// account, account-level pushes, purchases) or on the account's contacts
// that match its persona ([LevelPeople]: email, SEP and contact pushes,
// save purchased contacts). [ActionConfig.Capabilities] tells which
// connector capability the action needs; [ActionConfig.MaxCredits] how many
// credits it may spend for one account.
//
// # Validation
//
// Each node's Validate reports every problem of its own configuration at
// once, as a *[ConfigError] whose problems name the field in the spelling of
// the graph JSON schema ("config.max_per_account"). Rules that need the
// whole graph (unique ids, reachability, filters compiling against the
// catalogue) are package graph's.
//
// Nodes are plain values with exported fields and JSON tags for their
// configuration object; package graph owns the JSON envelope (id, kind,
// label, description) and the schema version.
package node
