// Package filter compiles MongoDB query filters ({a: {$gt: 1}}, $and, $expr,
// $elemMatch, ...) and matches raw documents against them, with MongoDB's
// rules for arrays and dotted paths. A compiled Filter is immutable, safe
// for concurrent use, and for simple predicates matches without
// allocating. Conditions exposes the top-level equalities and ranges that
// the engine's planner turns into index bounds.
package filter
