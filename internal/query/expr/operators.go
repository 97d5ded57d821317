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
		"$literal": compileLiteral,
		"$eq":      compileCmp,
		"$ne":      compileCmp,
		"$gt":      compileCmp,
		"$gte":     compileCmp,
		"$lt":      compileCmp,
		"$lte":     compileCmp,
		"$cmp":     compileCmp,
		"$and":     compileLogic,
		"$or":      compileLogic,
		"$not":     compileNot,

		// expr_arith.go: arithmetic.
		"$add":      compileVariadic,
		"$multiply": compileVariadic,
		"$subtract": compileBinary,
		"$divide":   compileBinary,
		"$mod":      compileBinary,
		"$pow":      compileBinary,
		"$abs":      compileUnary,
		"$ceil":     compileUnary,
		"$floor":    compileUnary,
		"$sqrt":     compileUnary,

		// expr_array.go: arrays, objects, types and conversion, and the
		// accumulators in expression position.
		"$in":           compileFixed(2),
		"$size":         compileFixed(1),
		"$arrayElemAt":  compileFixed(2),
		"$first":        compileFixed(1),
		"$last":         compileFixed(1),
		"$isArray":      compileFixed(1),
		"$reverseArray": compileFixed(1),
		"$concatArrays": compileFixed(-1),
		"$mergeObjects": compileFixed(-1),
		"$type":         compileFixed(1),
		"$isNumber":     compileFixed(1),
		"$toString":     compileFixed(1),
		"$toInt":        compileFixed(1),
		"$toLong":       compileFixed(1),
		"$toDouble":     compileFixed(1),
		"$toBool":       compileFixed(1),
		"$sum":          compileFixed(-1),
		"$avg":          compileFixed(-1),
		"$min":          compileFixed(-1),
		"$max":          compileFixed(-1),

		// expr_cond.go: conditionals and variables.
		"$cond":   compileCond,
		"$ifNull": compileIfNull,
		"$switch": compileSwitch,
		"$let":    compileLet,
		"$map":    compileMap,
		"$filter": compileFilterExpr,
		"$reduce": compileReduce,

		// expr_date.go: dates.
		"$year":         compileDatePart,
		"$month":        compileDatePart,
		"$dayOfMonth":   compileDatePart,
		"$hour":         compileDatePart,
		"$minute":       compileDatePart,
		"$second":       compileDatePart,
		"$millisecond":  compileDatePart,
		"$dayOfWeek":    compileDatePart,
		"$dayOfYear":    compileDatePart,
		"$week":         compileDatePart,
		"$isoWeek":      compileDatePart,
		"$isoWeekYear":  compileDatePart,
		"$isoDayOfWeek": compileDatePart,
		"$dateToString": compileDateToString,

		// expr_string.go: strings.
		"$concat":      compileStringOp(-1),
		"$toLower":     compileStringOp(1),
		"$toUpper":     compileStringOp(1),
		"$substr":      compileStringOp(3),
		"$substrBytes": compileStringOp(3),
		"$substrCP":    compileStringOp(3),
		"$strLenCP":    compileStringOp(1),
		"$strLenBytes": compileStringOp(1),
		"$strcasecmp":  compileStringOp(2),
		"$split":       compileStringOp(2),
	}
}
