// Package value is the base every query package shares: what a BSON value
// is to MongoDB's query language, and nothing that evaluates a query. It
// holds the total order of values across types (Compare, Equal), MongoDB's
// type names, the allocation-free walk over raw documents (Iter, Lookup)
// and parsed dotted paths (Path), and builders of raw values (Int32, Doc,
// Array, AppendElem, ...).
//
// Values are bson.RawValue and documents bson.Raw throughout: nothing here
// decodes a document, and every returned value may alias its input.
package value
