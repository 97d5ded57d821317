package expr

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// mongoExpressionOperators is MongoDB 8.0's list of aggregation expression
// operators, from the manual's "Aggregation Operators" reference
// (https://www.mongodb.com/docs/manual/reference/operator/aggregation/),
// accumulators usable in expression position included.
var mongoExpressionOperators = []string{
	// arithmetic
	"$abs", "$add", "$ceil", "$divide", "$exp", "$floor", "$ln", "$log", "$log10", "$mod", "$multiply", "$pow",
	"$round", "$sqrt", "$subtract", "$trunc",
	// array
	"$arrayElemAt", "$arrayToObject", "$concatArrays", "$filter", "$first", "$firstN", "$in", "$indexOfArray",
	"$isArray", "$last", "$lastN", "$map", "$maxN", "$minN", "$objectToArray", "$range", "$reduce",
	"$reverseArray", "$size", "$slice", "$sortArray", "$zip",
	// bitwise
	"$bitAnd", "$bitNot", "$bitOr", "$bitXor",
	// boolean, comparison, conditional
	"$and", "$not", "$or", "$cmp", "$eq", "$gt", "$gte", "$lt", "$lte", "$ne", "$cond", "$ifNull", "$switch",
	// custom (server-side JavaScript)
	"$accumulator", "$function",
	// data size
	"$binarySize", "$bsonSize",
	// date
	"$dateAdd", "$dateDiff", "$dateFromParts", "$dateFromString", "$dateSubtract", "$dateToParts",
	"$dateToString", "$dateTrunc", "$dayOfMonth", "$dayOfWeek", "$dayOfYear", "$hour", "$isoDayOfWeek",
	"$isoWeek", "$isoWeekYear", "$millisecond", "$minute", "$month", "$second", "$toDate", "$week", "$year",
	// literal, miscellaneous, object
	"$literal", "$getField", "$rand", "$sampleRate", "$toHashedIndexKey", "$mergeObjects", "$setField",
	"$unsetField",
	// set
	"$allElementsTrue", "$anyElementTrue", "$setDifference", "$setEquals", "$setIntersection", "$setIsSubset",
	"$setUnion",
	// string
	"$concat", "$indexOfBytes", "$indexOfCP", "$ltrim", "$regexFind", "$regexFindAll", "$regexMatch",
	"$replaceOne", "$replaceAll", "$rtrim", "$split", "$strLenBytes", "$strLenCP", "$strcasecmp", "$substr",
	"$substrBytes", "$substrCP", "$toLower", "$toString", "$trim", "$toUpper",
	// text search, timestamp
	"$meta", "$tsIncrement", "$tsSecond",
	// trigonometry
	"$sin", "$cos", "$tan", "$asin", "$acos", "$atan", "$atan2", "$asinh", "$acosh", "$atanh", "$sinh", "$cosh",
	"$tanh", "$degreesToRadians", "$radiansToDegrees",
	// type
	"$convert", "$isNumber", "$toBool", "$toDecimal", "$toDouble", "$toInt", "$toLong", "$toObjectId", "$toUUID",
	"$type",
	// accumulators in expression position
	"$avg", "$max", "$median", "$min", "$percentile", "$stdDevPop", "$stdDevSamp", "$sum",
	// variables
	"$let",
}

// mongoAccumulators is MongoDB 8.0's list of $group accumulators
// (https://www.mongodb.com/docs/manual/reference/operator/aggregation/group/#accumulator-operator).
var mongoAccumulators = []string{
	"$accumulator", "$addToSet", "$avg", "$bottom", "$bottomN", "$count", "$first", "$firstN", "$last", "$lastN",
	"$max", "$maxN", "$median", "$mergeObjects", "$min", "$minN", "$percentile", "$push", "$stdDevPop",
	"$stdDevSamp", "$sum", "$top", "$topN",
}

// missingExpressionOperators are the operators of mongoExpressionOperators
// Concord does not implement; the README's differences section names
// each of them.
var missingExpressionOperators = []string{
	"$accumulator", "$function", // server-side JavaScript
	"$meta", "$sampleRate", "$toHashedIndexKey",
}

// missingAccumulators are the accumulators of mongoAccumulators Concord
// does not implement; the README names each of them.
var missingAccumulators = []string{"$accumulator"}

// TestInventory_ExpressionOperators checks the operator table against
// MongoDB's list: every operator is implemented or listed missing (not
// both), and the table holds nothing MongoDB lacks.
func TestInventory_ExpressionOperators(t *testing.T) {
	checkInventory(t, "expression operator", mongoExpressionOperators, missingExpressionOperators,
		func(name string) bool { _, ok := operators[name]; return ok }, mapKeys(operators))
}

// TestInventory_Accumulators does the same for $group's accumulators.
func TestInventory_Accumulators(t *testing.T) {
	have := append(mapKeys(accumulators), mapKeys(objectAccumulators)...)
	checkInventory(t, "accumulator", mongoAccumulators, missingAccumulators,
		func(name string) bool { return slices.Contains(have, name) }, have)
}

// TestInventory_MissingInREADME checks that the README's differences
// section names every missing operator and accumulator.
func TestInventory_MissingInREADME(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, diff, _ := strings.Cut(string(readme), "## Differences from MongoDB")
	diff, _, _ = strings.Cut(diff, "\n## ")
	for _, name := range append(slices.Clone(missingExpressionOperators), missingAccumulators...) {
		if !strings.Contains(diff, "`"+name+"`") {
			t.Errorf("README's differences section does not name %s", name)
		}
	}
}

// checkInventory compares an implementation table with MongoDB's list.
func checkInventory(t *testing.T, what string, mongo, missing []string, has func(string) bool, table []string) {
	t.Helper()
	for _, name := range mongo {
		switch m := slices.Contains(missing, name); {
		case has(name) && m:
			t.Errorf("%s %s is implemented: take it off the missing list (and the README)", what, name)
		case !has(name) && !m:
			t.Errorf("%s %s is neither implemented nor listed missing", what, name)
		}
	}
	for _, name := range table {
		if !slices.Contains(mongo, name) {
			t.Errorf("%s %s is not in MongoDB 8's list", what, name)
		}
	}
	for _, name := range missing {
		if !slices.Contains(mongo, name) {
			t.Errorf("missing %s %s is not in MongoDB 8's list", what, name)
		}
	}
}

// mapKeys returns m's keys.
func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
