// Package csv is a connector that saves contacts, leads or accounts to a
// CSV file through a mapping profile (capability RecordWriter), publishes
// the file atomically at the end of a run (RunFinisher), and lets match
// rules look at the rows already saved (RecordFinder).
//
// # File format
//
// The header is the profile's target fields in order, followed by the key
// column "_key", which holds each row's idempotency key. Values are
// rendered with connector.FormatValue. Any value (header included) starting
// with '=', '+', '-', '@', a tab or a carriage return is prefixed with a
// single quote, so a spreadsheet never reads it as a formula.
//
// # Staging, publishing and idempotency
//
// WriteRecords stages rows durably: it appends them to a sidecar file,
// "<path>.pending" (same columns), and syncs it before acknowledging the
// items, so a Done result survives a crash. EndRun publishes: it writes the
// published rows plus the staged rows whose keys are not published yet to
// a temporary file in the same directory, syncs it, renames it over the published file, and only then
// deletes the sidecar. A failure anywhere before the rename leaves the
// published file as it was and the rows staged for the next EndRun; a
// crash between the rename and the deletion only repeats rows whose keys
// are already published, which are skipped.
//
// The keys of the published and staged rows are loaded when the connector
// is made, so an item whose key is already in the file — in this run or an
// earlier one — is acknowledged Done and adds no row.
//
// One Connector owns one file; do not point two at the same path.
package csv
