// Package order compiles sort specifications ({a: 1, b: -1}) into a
// comparison of raw documents with MongoDB's rules (missing sorts as null,
// arrays by their smallest or largest element), used by find and $sort.
package order
