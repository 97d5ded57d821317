// Package occ is optimistic concurrency control over a store: versioned writes on every write path, one typed
// conflict error, retry with backoff and jitter, batches with a per-document report, a transaction helper that
// also retries optimistic conflicts, and counters of what happened.
//
// A versioned document carries an integer version field ("version" unless Options.VersionField says otherwise).
// Insert writes version 1; every later write filters on {_id, version: v} and increments the version in the same
// single-document write, so a write based on a stale read matches nothing and fails with a *ConflictError instead
// of overwriting what another writer did. Collection's methods (Insert, UpdateOne, ReplaceOne, FindOneAndUpdate,
// DeleteOne, Upsert), Modify, and Batch all build their filter and update in one place, so no write path skips
// the check.
//
// Modify is the read-modify-write most code wants: it reads the document, runs the caller's function on a copy,
// sends only the fields that changed ($set / $unset of the difference) with the version check, and on a conflict
// waits and runs the whole thing again (Retry). The function may therefore run several times and must have no
// other effects it cannot repeat.
//
// With Options.History every versioned write also records the version it made in a history collection, in the
// same transaction as the write; History, AsOf, Revert and PruneHistory read and manage it.
//
// Errors: a write that lost to another writer returns a *ConflictError (errors.Is(err, ErrConflict)); a write to
// a document that does not exist returns an error matching ErrNotFound. Anything else comes from the store
// unchanged. Collection is safe for concurrent use.
package occ
