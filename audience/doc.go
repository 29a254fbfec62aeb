// Package audience holds playgraph's data model: the accounts (companies) a
// workflow routes, their contacts, engagement events, segments and the
// sources that serve them, and the field catalogue shared by filters
// (package eval) and connector mapping profiles.
//
// # Accounts
//
// An [Account] has typed firmographic and predictive fields (employees,
// revenue, [BuyingStage], intent score, [ProfileFit], researched keywords and
// competitors …), engagement [Event]s, and three attribute maps, CRM, MAP and
// Custom, for data that comes from the customer's own systems.
//
// Buying stages and profile fits are ordered in Go (StageTarget <
// StageAwareness < StageConsideration < StageDecision < StagePurchase;
// FitWeak < FitModerate < FitStrong) and read as their names in filters.
//
// # The field catalogue
//
// A [Catalog] lists every field a filter or mapping profile may name, with
// its [Type], [Origin] (6sense, CRM, MAP, custom), [Subject] (account or
// contact) and whether it is behavioural. Built-in account fields use
// snake_case names (intent_score, researched_competitors); contact fields are
// prefixed contact. (contact.title); CRM, MAP and custom attributes must be
// declared with a type before use and are named crm.<key>, map.<key> and
// custom.<key>:
//
//	cat, err := audience.NewCatalog(
//		audience.Attribute{Origin: audience.OriginCRM, Key: "tier", Type: audience.TypeString},
//	)
//
// Fields give fast typed getters ([Field.IntGetter], [Field.StringGetter] …)
// that compiled filters call per account, and a boxing [Field.Value] for
// code off the hot path.
//
// # Sources
//
// A [Source] serves one segment: it streams the members and looks accounts
// and their contacts up by id, in batches. [MemorySource] is the in-memory
// implementation tests and examples use.
//
// Catalogs are immutable and safe for concurrent use; Accounts passed to the
// engine must not be modified while a run reads them.
package audience
