// Package expr compiles and evaluates MongoDB aggregation expressions
// ("$a.b", "$$ROOT", {$add: [...]}, ...) and holds the $group accumulators
// (CompileAccumulator), which the expression operators $sum, $avg, $min,
// $max, $stdDevPop, $stdDevSamp, $median and $percentile share.
//
// An Expr is compiled once and evaluated against raw documents with a frame
// of user variables (Vars), declared at compile time by a Scope so that an
// undefined variable fails compilation as in MongoDB. A command's let
// variables, $$NOW and $$CLUSTER_TIME are constants of the outermost scope
// (CommandScope), compiled into the expressions. Operators are listed
// in one table (operators.go), one compiler per family file.
package expr
