// Package sql runs PostgreSQL's dialect of SQL over a Concord database: the
// same collections the MongoDB port serves, seen as tables.
//
// Statements are parsed with PostgreSQL's own grammar (pg_query, which links
// libpg_query through cgo), planned onto Concord's query language and run
// through the root package's public API, never the engine: a WHERE clause
// becomes a filter (arithmetic on columns a $expr), SET x = x + $1 an $inc,
// the array functions $addToSet, $pull and $push, so that an UPDATE's checks
// and its write are one atomic operation, as on the MongoDB port. What the
// query language cannot express (joins, grouping, window functions, CTEs) is
// evaluated above it, over rows read with the statement's pushed-down filter.
//
// An Engine holds what is shared by every connection to one *concord.DB (the
// statement cache and the table catalog); a Session is one connection's
// state: its database, its transaction, its prepared statements. The
// PostgreSQL wire protocol (package pgserver) and the database/sql driver
// registered here as "concord" are both thin layers over Session.
//
// Errors are *Error values carrying PostgreSQL's SQLSTATE: 40001 for a write
// conflict inside a transaction, 23505 for a duplicate key, 42P01 for an
// unknown table, 42601 for a syntax error (with its position), 25P02 for a
// statement in a failed transaction, 0A000 for valid PostgreSQL that Concord
// does not support.
package sql
