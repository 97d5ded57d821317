// Package projection compiles find's projections ({a: 1}, {"a.$": 1},
// $slice, $elemMatch and 4.4+ computed fields) and applies them to raw
// documents.
package projection
