// Package fake is an in-memory connector for tests, in the spirit of
// httptest.ResponseRecorder: it implements every connector capability,
// records every call and item, and can be scripted to fail.
//
// # Recording
//
// Calls lists every call in order, reads (CountAvailable, FindRecords,
// ReadEngagement) and writes alike; Reads and Writes split them. Items
// lists every item of every write call with the Result it got — attempts,
// failed or not. Received lists the items acknowledged Done, repeats
// included (what a receiver that does not dedupe acts on); Delivered keeps
// the first Done item per (op, key) (what a deduping receiver acts on);
// Count tells how many times a key was acknowledged.
//
// With WithDedupe the fake's own state — stored records, audience members,
// campaign members — applies each (op, key) once, as a deduping receiver
// would; without it every repeat applies again (a record stored twice).
// Purchase is idempotent on the key either way, as the ContactPurchaser
// contract requires.
//
// # Scripting
//
// Fail makes matching items fail (transient or permanent) their first N
// attempts; FailKey is Fail for one key; FailCalls makes the next N calls of
// an operation fail as a whole.
//
// # Serving
//
// AddStock gives accounts contacts to buy (matched against the persona,
// stock runs out as it is bought); AddEvents gives engagement to read;
// AddRecords gives existing target records to find.
//
// A Connector is safe for concurrent use.
package fake
