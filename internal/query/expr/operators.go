package expr

// operators is the table of expression operators, one entry per operator
// name, grouped by family (each family's compilers live in the file named
// beside it). It is filled by the init below rather than by its declaration
// only because the compilers reach back into the table through nested
// expressions, which Go's initialization order rejects as a cycle.
var operators map[string]opCompiler

func init() {
	operators = map[string]opCompiler{
		// expr.go: literals, comparison, logic.
		"$literal": aggCompileLiteral,
		"$eq":      aggCompileCmp,
		"$ne":      aggCompileCmp,
		"$gt":      aggCompileCmp,
		"$gte":     aggCompileCmp,
		"$lt":      aggCompileCmp,
		"$lte":     aggCompileCmp,
		"$cmp":     aggCompileCmp,
		"$and":     aggCompileLogic,
		"$or":      aggCompileLogic,
		"$not":     aggCompileNot,

		// expr_arith.go: arithmetic.
		"$add":      aggCompileVariadic,
		"$multiply": aggCompileVariadic,
		"$subtract": aggCompileBinary,
		"$divide":   aggCompileBinary,
		"$mod":      aggCompileBinary,
		"$pow":      aggCompileBinary,
		"$abs":      aggCompileUnary,
		"$ceil":     aggCompileUnary,
		"$floor":    aggCompileUnary,
		"$sqrt":     aggCompileUnary,

		// expr_array.go: arrays, objects, types and conversion, and the
		// accumulators in expression position.
		"$in":           aggCompileFixed(2),
		"$size":         aggCompileFixed(1),
		"$arrayElemAt":  aggCompileFixed(2),
		"$first":        aggCompileFixed(1),
		"$last":         aggCompileFixed(1),
		"$isArray":      aggCompileFixed(1),
		"$reverseArray": aggCompileFixed(1),
		"$concatArrays": aggCompileFixed(-1),
		"$mergeObjects": aggCompileFixed(-1),
		"$type":         aggCompileFixed(1),
		"$isNumber":     aggCompileFixed(1),
		"$toString":     aggCompileFixed(1),
		"$toInt":        aggCompileFixed(1),
		"$toLong":       aggCompileFixed(1),
		"$toDouble":     aggCompileFixed(1),
		"$toBool":       aggCompileFixed(1),
		"$sum":          aggCompileFixed(-1),
		"$avg":          aggCompileFixed(-1),
		"$min":          aggCompileFixed(-1),
		"$max":          aggCompileFixed(-1),

		// expr_cond.go: conditionals and variables.
		"$cond":   aggCompileCond,
		"$ifNull": aggCompileIfNull,
		"$switch": aggCompileSwitch,
		"$let":    aggCompileLet,
		"$map":    aggCompileMap,
		"$filter": aggCompileFilterExpr,
		"$reduce": aggCompileReduce,

		// expr_date.go: dates.
		"$year":         aggCompileDatePart,
		"$month":        aggCompileDatePart,
		"$dayOfMonth":   aggCompileDatePart,
		"$hour":         aggCompileDatePart,
		"$minute":       aggCompileDatePart,
		"$second":       aggCompileDatePart,
		"$millisecond":  aggCompileDatePart,
		"$dayOfWeek":    aggCompileDatePart,
		"$dayOfYear":    aggCompileDatePart,
		"$week":         aggCompileDatePart,
		"$isoWeek":      aggCompileDatePart,
		"$isoWeekYear":  aggCompileDatePart,
		"$isoDayOfWeek": aggCompileDatePart,
		"$dateToString": aggCompileDateToString,

		// expr_string.go: strings.
		"$concat":      aggCompileStringOp(-1),
		"$toLower":     aggCompileStringOp(1),
		"$toUpper":     aggCompileStringOp(1),
		"$substr":      aggCompileStringOp(3),
		"$substrBytes": aggCompileStringOp(3),
		"$substrCP":    aggCompileStringOp(3),
		"$strLenCP":    aggCompileStringOp(1),
		"$strLenBytes": aggCompileStringOp(1),
		"$strcasecmp":  aggCompileStringOp(2),
		"$split":       aggCompileStringOp(2),
	}
}
