// Package credit is playgraph's credit ledger: the credits an organisation
// buys for a contract period, split among applications by administrators,
// and spent by actions such as purchase contacts and create account.
//
// # Pools and allocations
//
// A [Pool] holds the credits of one contract period [Start, End); periods
// never overlap, and the current pool is the one whose period contains the
// time passed in (the package never reads the clock). Credits left unspent
// at End expire ([Ledger.Expire]); nothing carries over. Administrators
// (the caller maps its roles to an admin bool; anyone else gets
// [ErrForbidden]) allocate a pool's credits among applications
// ([AppAudienceWorkflows], [AppDataWorkflows], [AppSalesIntelligence]);
// allocations together never exceed the pool's total.
//
// # Spending
//
// An action that spends reserves first ([Ledger.Reserve]) under its
// idempotency key, then commits what it spent on success ([Ledger.Commit];
// the rest returns to the allocation) or releases everything on failure
// ([Ledger.Release]). Reserving a held or committed key again returns the
// existing reservation and holds nothing more, and committing twice is a
// no-op, so a retried action never spends twice. A reservation larger than
// the available balance fails with an [*InsufficientError] wrapping
// [ErrInsufficientCredits]; the check and the hold are one atomic step of
// the [Store], so processes sharing one database never overspend.
//
// # Monthly limits
//
// Optional [Limits] cap the contacts bought per user type and for the whole
// organisation per UTC calendar month of the reservation's time; they reset
// when the month turns and are off by default. A reservation's contacts
// count while held and, once committed, as many as were bought. A
// scheduled run has no user of its own: the caller passes the workflow
// owner's user and user type. Exceeding a limit fails with a
// [*MonthlyLimitError] wrapping [ErrMonthlyLimit].
//
// # Balance and history
//
// For each pool and application,
//
//	Available = Allocated − Reserved − Spent − Expired
//
// and Available never goes below zero. Every movement (allocate, reserve,
// commit, release, expire) is a history [Entry]; [Sum] of a pool's entries
// for one application equals its [Balance] field by field, and the sum of
// the entries' [Entry.Delta] is Available. A commit of s credits out of r
// reserved writes a commit entry of s and a release entry of r − s.
//
// # Low credits
//
// With a threshold set in [Options], [Ledger.Low] reports an allocation as
// low and says to notify exactly once per pool and application, across
// every process sharing the store ([Store.MarkNotified]).
//
// Package store/memstore implements [Store] in memory; store/storetest's
// TestCredits is the conformance suite for any implementation.
package credit
