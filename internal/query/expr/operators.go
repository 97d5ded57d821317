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

		// expr_math.go: rounding, logarithms, trigonometry, bits.
		"$round":            compileRoundTrunc,
		"$trunc":            compileRoundTrunc,
		"$exp":              compileMathFunc,
		"$ln":               compileMathFunc,
		"$log10":            compileMathFunc,
		"$log":              compileMathBinary,
		"$sin":              compileMathFunc,
		"$cos":              compileMathFunc,
		"$tan":              compileMathFunc,
		"$asin":             compileMathFunc,
		"$acos":             compileMathFunc,
		"$atan":             compileMathFunc,
		"$atan2":            compileMathBinary,
		"$sinh":             compileMathFunc,
		"$cosh":             compileMathFunc,
		"$tanh":             compileMathFunc,
		"$asinh":            compileMathFunc,
		"$acosh":            compileMathFunc,
		"$atanh":            compileMathFunc,
		"$degreesToRadians": compileMathFunc,
		"$radiansToDegrees": compileMathFunc,
		"$bitAnd":           compileBitwise,
		"$bitOr":            compileBitwise,
		"$bitXor":           compileBitwise,
		"$bitNot":           compileBitwise,

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
		"$stdDevPop":    compileFixed(-1),
		"$stdDevSamp":   compileFixed(-1),

		// accumulator_n.go: percentiles in expression position.
		"$median":     compilePercentileExpr,
		"$percentile": compilePercentileExpr,

		// expr_slice.go: more arrays.
		"$slice":         compileArrayOp(2, 3),
		"$indexOfArray":  compileArrayOp(2, 4),
		"$range":         compileArrayOp(2, 3),
		"$arrayToObject": compileArrayOp(1, 1),
		"$objectToArray": compileArrayOp(1, 1),
		"$zip":           compileZip,
		"$firstN":        compileNOp,
		"$lastN":         compileNOp,
		"$maxN":          compileNOp,
		"$minN":          compileNOp,
		"$sortArray":     compileSortArray,

		// expr_set.go: sets.
		"$setUnion":        compileSetOp(-1),
		"$setIntersection": compileSetOp(-1),
		"$setDifference":   compileSetOp(2),
		"$setEquals":       compileSetOp(-1),
		"$setIsSubset":     compileSetOp(2),
		"$allElementsTrue": compileSetOp(1),
		"$anyElementTrue":  compileSetOp(1),

		// expr_object.go: fields by name.
		"$getField":   compileFieldOp,
		"$setField":   compileFieldOp,
		"$unsetField": compileFieldOp,

		// expr_convert.go: conversion and the miscellaneous operators.
		"$convert":     compileConvert,
		"$toDecimal":   compileTo,
		"$toObjectId":  compileTo,
		"$toDate":      compileTo,
		"$toUUID":      compileTo,
		"$rand":        compileMisc,
		"$binarySize":  compileMisc,
		"$bsonSize":    compileMisc,
		"$tsSecond":    compileMisc,
		"$tsIncrement": compileMisc,

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

		// expr_date_math.go: date arithmetic and parts.
		"$dateAdd":       compileDateMath,
		"$dateSubtract":  compileDateMath,
		"$dateDiff":      compileDateMath,
		"$dateTrunc":     compileDateMath,
		"$dateFromParts": compileDateParts,
		"$dateToParts":   compileDateParts,

		// expr_date_parse.go: parsing dates.
		"$dateFromString": compileDateFromString,

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

		// expr_text.go: searching and rewriting strings.
		"$trim":         compileTrim,
		"$ltrim":        compileTrim,
		"$rtrim":        compileTrim,
		"$indexOfBytes": compileIndexOf,
		"$indexOfCP":    compileIndexOf,
		"$replaceOne":   compileReplace,
		"$replaceAll":   compileReplace,
		"$regexMatch":   compileRegexOp,
		"$regexFind":    compileRegexOp,
		"$regexFindAll": compileRegexOp,
	}
}
