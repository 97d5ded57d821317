// Package agg compiles and runs MongoDB aggregation pipelines over raw BSON
// documents, streaming.
//
// Compile turns the stage documents into a Pipeline, which is immutable and
// safe for concurrent use. Open runs it: each stage is an Iterator over the
// previous one's output (Next returns one document, or nil at the end;
// Close releases what the stage holds), so documents are pulled one at a
// time and a stage computes only what its consumer asks for. A run carries
// a frame of user variables (expr.Vars): a $lookup binds its let variables
// over it for each outer document and its sub-pipeline, compiled once,
// reads them from there.
//
// Only $sort, $group and $facet hold many documents. $sort and $group count
// what they hold against Options.MemoryLimit (mongod's 100 MiB by default)
// and past it spill sorted runs to a temporary file, or fail with
// QueryExceededMemoryLimitNoDiskUseAllowed (292) when Options.NoDiskUse
// (allowDiskUse: false) is set.
//
// Other collections ($lookup's and $unionWith's) are read through a Source,
// which the engine implements over the aggregation's snapshot: this package
// never imports the engine. A $lookup hands its join key to the Source as a
// filter, so that the engine can read it from an index.
//
// Stages are listed in one table (stages.go); each stage_*.go file holds a
// family's compilers and iterators.
package agg
