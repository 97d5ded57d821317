// Package update compiles MongoDB update documents (operators such as $set,
// $inc and $push, with arrayFilters, or a replacement document) and applies
// them to raw documents, and builds the document an upsert starts from
// (UpsertSeed).
package update
