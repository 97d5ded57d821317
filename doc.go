// Package concord is an embeddable document database with MongoDB's data
// model, query language and concurrency semantics: Open a DB, pick a
// Database and a Collection, read and write with the driver's method names,
// iterate a Cursor, and group statements in a Session's transaction with
// WithTransaction.
//
// # Documents
//
// Filters, updates, documents, sorts and projections accept anything
// bson.Marshal accepts (bson.D, bson.M, structs); bson.Raw and []byte pass
// through without re-encoding. A nil filter matches every document.
// Results come back as bson.Raw or are decoded with bson.Unmarshal.
//
// # Concurrency
//
// DB, Database and Collection are safe for concurrent use; Session and
// Cursor are not. Concord behaves as a MongoDB replica-set primary:
//
//   - A single-document write outside a transaction is atomic and never
//     fails with a write conflict. If a transaction holds the document, the
//     write waits for it to finish, then re-reads the document and
//     re-checks its filter, so updateOne({_id: 1, version: 3}, ...) is a
//     compare-and-set: it matches nothing if someone else moved the version.
//   - A transaction reads one snapshot, taken at its first statement, and
//     sees its own writes. Writing a document another transaction has
//     changed (committed after the snapshot, or not yet committed) fails at
//     once with WriteConflict (112), labelled TransientTransactionError, and
//     aborts the transaction. WithTransaction retries such transactions.
//   - A transaction still open after the transaction lifetime (60 s by
//     default) is aborted.
//
// # Errors
//
// Errors that MongoDB reports with a code are *Error values carrying that
// code, its name and its labels; IsWriteConflict, IsDuplicateKey and
// IsTransientTransactionError classify them.
package concord
