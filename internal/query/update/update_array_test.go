package update_test

import (
	"testing"

	"github.com/concorddb/concord/internal/codes"
)

func updateCasesPush() []updateCase {
	return []updateCase{
		{name: "append", doc: `{"_id": 1, "scores": [44, 78]}`, update: `{"$push": {"scores": 89}}`,
			want: `{"_id": 1, "scores": [44, 78, 89]}`},
		{name: "missing field creates the array", doc: `{"_id": 1}`, update: `{"$push": {"a.b": 1}}`,
			want: `{"_id": 1, "a": {"b": [1]}}`},
		{name: "array value is one element", doc: `{"_id": 1, "a": [1]}`, update: `{"$push": {"a": [2, 3]}}`,
			want: `{"_id": 1, "a": [1, [2, 3]]}`},
		{name: "each", doc: `{"_id": 1, "scores": [44]}`, update: `{"$push": {"scores": {"$each": [90, 92, 85]}}}`,
			want: `{"_id": 1, "scores": [44, 90, 92, 85]}`},
		{name: "empty each on missing creates an empty array", doc: `{"_id": 1}`, update: `{"$push": {"a": {"$each": []}}}`,
			want: `{"_id": 1, "a": []}`},
		{name: "empty each on an array is a no-op", doc: `{"_id": 1, "a": [1]}`, update: `{"$push": {"a": {"$each": []}}}`,
			want: `{"_id": 1, "a": [1]}`, noop: true},
		{name: "documented sort and slice",
			doc:    `{"_id": 5, "quizzes": [{"wk": 1, "score": 10}, {"wk": 2, "score": 8}, {"wk": 3, "score": 5}, {"wk": 4, "score": 6}]}`,
			update: `{"$push": {"quizzes": {"$each": [{"wk": 5, "score": 8}, {"wk": 6, "score": 7}, {"wk": 7, "score": 6}], "$sort": {"score": -1}, "$slice": 3}}}`,
			want:   `{"_id": 5, "quizzes": [{"wk": 1, "score": 10}, {"wk": 2, "score": 8}, {"wk": 5, "score": 8}]}`},
		{name: "position zero", doc: `{"_id": 1, "scores": [100]}`, update: `{"$push": {"scores": {"$each": [50, 60, 70], "$position": 0}}}`,
			want: `{"_id": 1, "scores": [50, 60, 70, 100]}`},
		{name: "negative position", doc: `{"_id": 1, "scores": [50, 60, 70, 100]}`, update: `{"$push": {"scores": {"$each": [90, 80], "$position": -2}}}`,
			want: `{"_id": 1, "scores": [50, 60, 90, 80, 70, 100]}`},
		{name: "position beyond the end appends", doc: `{"_id": 1, "a": [1]}`, update: `{"$push": {"a": {"$each": [2], "$position": 9}}}`,
			want: `{"_id": 1, "a": [1, 2]}`},
		{name: "negative slice keeps the tail", doc: `{"_id": 1, "a": [1, 2, 3]}`, update: `{"$push": {"a": {"$each": [4], "$slice": -2}}}`,
			want: `{"_id": 1, "a": [3, 4]}`},
		{name: "slice zero empties", doc: `{"_id": 1, "a": [1, 2, 3]}`, update: `{"$push": {"a": {"$each": [4], "$slice": 0}}}`,
			want: `{"_id": 1, "a": []}`},
		{name: "sort whole elements descending", doc: `{"_id": 1, "a": [3, "x", 1]}`, update: `{"$push": {"a": {"$each": [2], "$sort": -1}}}`,
			want: `{"_id": 1, "a": ["x", 3, 2, 1]}`},
		{name: "sort mixed numeric types", doc: `{"_id": 1, "a": [2.5, {"$numberLong": "1"}]}`, update: `{"$push": {"a": {"$each": [2], "$sort": 1}}}`,
			want: `{"_id": 1, "a": [{"$numberLong": "1"}, 2, 2.5]}`},
		{name: "sort by field puts missing first", doc: `{"_id": 1, "a": [{"x": 2}, {"y": 1}, 5]}`, update: `{"$push": {"a": {"$each": [{"x": 1}], "$sort": {"x": 1}}}}`,
			want: `{"_id": 1, "a": [{"y": 1}, 5, {"x": 1}, {"x": 2}]}`},
		{name: "non-array field", doc: `{"_id": 1, "a": "s"}`, update: `{"$push": {"a": 1}}`,
			code: codes.BadValue, msg: "The field 'a' must be an array but is of type string in document {_id: 1}"},
		{name: "each not an array", doc: `{"_id": 1}`, update: `{"$push": {"a": {"$each": 1}}}`,
			code: codes.BadValue, msg: "The argument to $each in $push must be an array but it was of type: int"},
		{name: "unknown modifier", doc: `{"_id": 1}`, update: `{"$push": {"a": {"$each": [1], "$foo": 1}}}`,
			code: codes.BadValue, msg: "Unrecognized clause in $push: $foo"},
		{name: "bad slice", doc: `{"_id": 1}`, update: `{"$push": {"a": {"$each": [1], "$slice": "x"}}}`,
			code: codes.BadValue, msg: "The value for $slice must be an integer value but was given type: string"},
		{name: "bad sort", doc: `{"_id": 1}`, update: `{"$push": {"a": {"$each": [1], "$sort": 2}}}`,
			code: codes.BadValue, msg: "The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields"},
		{name: "empty sort pattern", doc: `{"_id": 1}`, update: `{"$push": {"a": {"$each": [1], "$sort": {}}}}`,
			code: codes.BadValue, msg: "The $sort pattern is empty when it should be a set of fields."},
		{name: "bad position", doc: `{"_id": 1}`, update: `{"$push": {"a": {"$each": [1], "$position": "x"}}}`,
			code: codes.BadValue, msg: "The value for $position must be an integer value, not of type: string"},
		{name: "into a nested array", doc: `{"_id": 1, "a": [[1], [2]]}`, update: `{"$push": {"a.1": 3}}`,
			want: `{"_id": 1, "a": [[1], [2, 3]]}`},
	}
}

func TestUpdate_Push(t *testing.T) { updateRunAll(t, updateCasesPush()) }

func updateCasesAddToSet() []updateCase {
	return []updateCase{
		{name: "array value is one element", doc: `{"_id": 1, "letters": ["a", "b"]}`, update: `{"$addToSet": {"letters": ["c", "d"]}}`,
			want: `{"_id": 1, "letters": ["a", "b", ["c", "d"]]}`},
		{name: "existing value is a no-op", doc: `{"_id": 1, "colors": ["blue", "green"]}`, update: `{"$addToSet": {"colors": "green"}}`,
			want: `{"_id": 1, "colors": ["blue", "green"]}`, noop: true},
		{name: "equal number of another type is a no-op", doc: `{"_id": 1, "a": [1]}`, update: `{"$addToSet": {"a": 1.0}}`,
			want: `{"_id": 1, "a": [1]}`, noop: true},
		{name: "each", doc: `{"_id": 2, "tags": ["electronics", "camera"]}`, update: `{"$addToSet": {"tags": {"$each": ["camera", "electronics", "accessories"]}}}`,
			want: `{"_id": 2, "tags": ["electronics", "camera", "accessories"]}`},
		{name: "duplicates in each are added once", doc: `{"_id": 1}`, update: `{"$addToSet": {"a": {"$each": [1, 2, 1]}}}`,
			want: `{"_id": 1, "a": [1, 2]}`},
		{name: "documents compare in field order", doc: `{"_id": 1, "a": [{"x": 1, "y": 2}]}`, update: `{"$addToSet": {"a": {"y": 2, "x": 1}}}`,
			want: `{"_id": 1, "a": [{"x": 1, "y": 2}, {"y": 2, "x": 1}]}`},
		{name: "non-array field", doc: `{"_id": 1, "a": 5}`, update: `{"$addToSet": {"a": 1}}`,
			code: codes.BadValue, msg: "Cannot apply $addToSet to non-array field. Field named 'a' has non-array type int"},
		{name: "each not an array", doc: `{"_id": 1}`, update: `{"$addToSet": {"a": {"$each": 1}}}`,
			code: codes.TypeMismatch, msg: "The argument to $each in $addToSet must be an array but it was of type int"},
	}
}

func TestUpdate_AddToSet(t *testing.T) { updateRunAll(t, updateCasesAddToSet()) }

func updateCasesPop() []updateCase {
	return []updateCase{
		{name: "first", doc: `{"_id": 1, "scores": [8, 9, 10]}`, update: `{"$pop": {"scores": -1}}`, want: `{"_id": 1, "scores": [9, 10]}`},
		{name: "last", doc: `{"_id": 1, "scores": [9, 10]}`, update: `{"$pop": {"scores": 1}}`, want: `{"_id": 1, "scores": [9]}`},
		{name: "last element leaves an empty array", doc: `{"_id": 1, "a": [1]}`, update: `{"$pop": {"a": 1.0}}`, want: `{"_id": 1, "a": []}`},
		{name: "empty array is a no-op", doc: `{"_id": 1, "a": []}`, update: `{"$pop": {"a": 1}}`, want: `{"_id": 1, "a": []}`, noop: true},
		{name: "missing field is a no-op", doc: `{"_id": 1}`, update: `{"$pop": {"a": 1}}`, want: `{"_id": 1}`, noop: true},
		{name: "non-array field", doc: `{"_id": 1, "a": 5}`, update: `{"$pop": {"a": 1}}`,
			code: codes.TypeMismatch, msg: "Path 'a' contains an element of non-array type 'int'"},
		{name: "non-array embedded field names the path", doc: `{"_id": 1, "a": {"b": 5}}`, update: `{"$pop": {"a.b": 1}}`,
			code: codes.TypeMismatch, msg: "Path 'a.b' contains an element of non-array type 'int'"},
		{name: "bad argument", doc: `{"_id": 1}`, update: `{"$pop": {"a": 2}}`,
			code: codes.FailedToParse, msg: "$pop expects 1 or -1, found: 2"},
		{name: "non-numeric argument", doc: `{"_id": 1}`, update: `{"$pop": {"a": "x"}}`,
			code: codes.FailedToParse, msg: `Expected a number in: a: "x"`},
	}
}

func TestUpdate_Pop(t *testing.T) { updateRunAll(t, updateCasesPop()) }

func updateCasesPull() []updateCase {
	return []updateCase{
		{name: "documented in and equality",
			doc:    `{"_id": 1, "fruits": ["apples", "pears", "oranges", "grapes", "bananas"], "vegetables": ["carrots", "celery", "squash", "carrots"]}`,
			update: `{"$pull": {"fruits": {"$in": ["apples", "oranges"]}, "vegetables": "carrots"}}`,
			want:   `{"_id": 1, "fruits": ["pears", "grapes", "bananas"], "vegetables": ["celery", "squash"]}`},
		{name: "condition", doc: `{"_id": 1, "votes": [3, 5, 6, 7, 7, 8]}`, update: `{"$pull": {"votes": {"$gte": 6}}}`,
			want: `{"_id": 1, "votes": [3, 5]}`},
		{name: "embedded documents",
			doc:    `{"_id": 1, "results": [{"item": "A", "score": 5}, {"item": "B", "score": 8, "comment": "x"}]}`,
			update: `{"$pull": {"results": {"score": 8, "item": "B"}}}`,
			want:   `{"_id": 1, "results": [{"item": "A", "score": 5}]}`},
		{name: "embedded documents no match is a no-op",
			doc:    `{"_id": 2, "results": [{"item": "C", "score": 8}, {"item": "B", "score": 4}]}`,
			update: `{"$pull": {"results": {"score": 8, "item": "B"}}}`,
			want:   `{"_id": 2, "results": [{"item": "C", "score": 8}, {"item": "B", "score": 4}]}`, noop: true},
		{name: "nested elemMatch",
			doc:    `{"_id": 1, "results": [{"item": "A", "answers": [{"q": 1, "a": 4}, {"q": 2, "a": 6}]}, {"item": "B", "answers": [{"q": 1, "a": 8}, {"q": 2, "a": 9}]}]}`,
			update: `{"$pull": {"results": {"answers": {"$elemMatch": {"q": 2, "a": {"$gte": 8}}}}}}`,
			want:   `{"_id": 1, "results": [{"item": "A", "answers": [{"q": 1, "a": 4}, {"q": 2, "a": 6}]}]}`},
		{name: "empty condition removes documents only", doc: `{"_id": 1, "a": [1, {"x": 1}, {}]}`, update: `{"$pull": {"a": {}}}`,
			want: `{"_id": 1, "a": [1]}`},
		{name: "array value removes equal arrays", doc: `{"_id": 1, "a": [[1, 2], [2, 1], 1]}`, update: `{"$pull": {"a": [1, 2]}}`,
			want: `{"_id": 1, "a": [[2, 1], 1]}`},
		{name: "numbers equal across types", doc: `{"_id": 1, "a": [1, 1.0, {"$numberLong": "1"}, 2]}`, update: `{"$pull": {"a": 1}}`,
			want: `{"_id": 1, "a": [2]}`},
		{name: "null", doc: `{"_id": 1, "a": [null, 1]}`, update: `{"$pull": {"a": null}}`, want: `{"_id": 1, "a": [1]}`},
		{name: "nothing to pull is a no-op", doc: `{"_id": 1, "a": [1, 2]}`, update: `{"$pull": {"a": 3}}`,
			want: `{"_id": 1, "a": [1, 2]}`, noop: true},
		{name: "missing field is a no-op", doc: `{"_id": 1}`, update: `{"$pull": {"a": 3}}`, want: `{"_id": 1}`, noop: true},
		{name: "regex", doc: `{"_id": 1, "a": ["apple", "banana"]}`, update: `{"$pull": {"a": {"$regularExpression": {"pattern": "^a", "options": ""}}}}`,
			want: `{"_id": 1, "a": ["banana"]}`},
		{name: "non-array field", doc: `{"_id": 1, "a": 5}`, update: `{"$pull": {"a": 1}}`,
			code: codes.BadValue, msg: "Cannot apply $pull to a non-array value"},
	}
}

func TestUpdate_Pull(t *testing.T) { updateRunAll(t, updateCasesPull()) }

func updateCasesPullAll() []updateCase {
	return []updateCase{
		{name: "documented example", doc: `{"_id": 1, "scores": [0, 2, 5, 5, 1, 0]}`, update: `{"$pullAll": {"scores": [0, 5]}}`,
			want: `{"_id": 1, "scores": [2, 1]}`},
		{name: "documents", doc: `{"_id": 1, "a": [{"x": 1}, {"x": 2}]}`, update: `{"$pullAll": {"a": [{"x": 1}]}}`,
			want: `{"_id": 1, "a": [{"x": 2}]}`},
		{name: "nothing to pull is a no-op", doc: `{"_id": 1, "a": [1]}`, update: `{"$pullAll": {"a": [2]}}`,
			want: `{"_id": 1, "a": [1]}`, noop: true},
		{name: "non-array argument", doc: `{"_id": 1}`, update: `{"$pullAll": {"a": 1}}`,
			code: codes.BadValue, msg: "$pullAll requires an array argument but was given a int"},
		{name: "non-array field", doc: `{"_id": 1, "a": 5}`, update: `{"$pullAll": {"a": [1]}}`,
			code: codes.BadValue, msg: "Cannot apply $pullAll to a non-array value"},
	}
}

func TestUpdate_PullAll(t *testing.T) { updateRunAll(t, updateCasesPullAll()) }

func updateCasesPositional() []updateCase {
	return []updateCase{
		{name: "documented positional", doc: `{"_id": 1, "grades": [85, 80, 80]}`, update: `{"$set": {"grades.$": 82}}`, pos: 2,
			want: `{"_id": 1, "grades": [85, 82, 80]}`},
		{name: "positional embedded field",
			doc:    `{"_id": 4, "grades": [{"grade": 80, "mean": 75, "std": 8}, {"grade": 85, "mean": 90, "std": 5}]}`,
			update: `{"$set": {"grades.$.std": 6}}`, pos: 2,
			want: `{"_id": 4, "grades": [{"grade": 80, "mean": 75, "std": 8}, {"grade": 85, "mean": 90, "std": 6}]}`},
		{name: "positional push", doc: `{"_id": 1, "a": [{"b": []}, {"b": [1]}]}`, update: `{"$push": {"a.$.b": 2}}`, pos: 2,
			want: `{"_id": 1, "a": [{"b": []}, {"b": [1, 2]}]}`},
		{name: "positional without a match", doc: `{"_id": 1, "grades": [85]}`, update: `{"$set": {"grades.$": 82}}`,
			code: codes.BadValue, msg: "The positional operator did not find the match needed from the query."},
		{name: "positional and index on one element", doc: `{"_id": 1, "a": [1, 2]}`, update: `{"$set": {"a.$": 5, "a.0": 6}}`, pos: 1,
			code: codes.ConflictingUpdateOperators, msg: "Update created a conflict at 'a.0'"},
		{name: "all positional", doc: `{"_id": 1, "grades": [85, 82, 80]}`, update: `{"$inc": {"grades.$[]": 10}}`,
			want: `{"_id": 1, "grades": [95, 92, 90]}`},
		{name: "all positional embedded", doc: `{"_id": 1, "a": [{"x": 1}, {}]}`, update: `{"$set": {"a.$[].y": 0}}`,
			want: `{"_id": 1, "a": [{"x": 1, "y": 0}, {"y": 0}]}`},
		{name: "all positional unset leaves nulls", doc: `{"_id": 1, "a": [1, 2]}`, update: `{"$unset": {"a.$[]": 1}}`,
			want: `{"_id": 1, "a": [null, null]}`},
		{name: "all positional on an empty array is a no-op", doc: `{"_id": 1, "a": []}`, update: `{"$set": {"a.$[]": 1}}`,
			want: `{"_id": 1, "a": []}`, noop: true},
		{name: "all positional on a missing field", doc: `{"_id": 1}`, update: `{"$set": {"a.$[]": 1}}`,
			code: codes.BadValue, msg: "The path 'a' must exist in the document in order to apply array updates."},
		{name: "all positional on a scalar", doc: `{"_id": 1, "a": 1}`, update: `{"$set": {"a.$[]": 1}}`,
			code: codes.BadValue, msg: "Cannot apply array updates to non-array element a: 1"},
		{name: "all positional through scalar elements", doc: `{"_id": 1, "a": [{}, 1]}`, update: `{"$set": {"a.$[].b": 1}}`,
			code: codes.PathNotViable, msg: "Cannot create field 'b' in element {1: 1}"},
		{name: "all positional and a field of the same array", doc: `{"_id": 1}`, update: `{"$set": {"a.$[]": 1, "a.b": 1}}`,
			code: codes.ConflictingUpdateOperators},
		{name: "documented array filter", doc: `{"_id": 3, "grades": [95, 110, 100]}`, update: `{"$set": {"grades.$[element]": 100}}`,
			filters: []string{`{"element": {"$gte": 100}}`},
			want:    `{"_id": 3, "grades": [95, 100, 100]}`},
		{name: "documented array filter on embedded documents",
			doc:     `{"_id": 5, "grades": [{"grade": 80, "mean": 75}, {"grade": 85, "mean": 90}, {"grade": 85, "mean": 85}]}`,
			update:  `{"$set": {"grades.$[elem].mean": 100}}`,
			filters: []string{`{"elem.grade": {"$gte": 85}}`},
			want:    `{"_id": 5, "grades": [{"grade": 80, "mean": 75}, {"grade": 85, "mean": 100}, {"grade": 85, "mean": 100}]}`},
		{name: "nested all positional and filter",
			doc:     `{"_id": 1, "grades": [{"type": "quiz", "questions": [10, 8, 5]}, {"type": "hw", "questions": [5, 4, 3]}]}`,
			update:  `{"$inc": {"grades.$[].questions.$[score]": 2}}`,
			filters: []string{`{"score": {"$gte": 8}}`},
			want:    `{"_id": 1, "grades": [{"type": "quiz", "questions": [12, 10, 5]}, {"type": "hw", "questions": [5, 4, 3]}]}`},
		{name: "two filters on different fields of one element", doc: `{"_id": 1, "a": [{"x": 1}, {"x": 2}]}`,
			update:  `{"$set": {"a.$[p].y": 1, "a.$[q].z": 2}}`,
			filters: []string{`{"p.x": 1}`, `{"q.x": {"$gte": 1}}`},
			want:    `{"_id": 1, "a": [{"x": 1, "y": 1, "z": 2}, {"x": 2, "z": 2}]}`},
		{name: "two filters on one element and path", doc: `{"_id": 1, "a": [1, 2]}`,
			update:  `{"$set": {"a.$[p]": 5, "a.$[q]": 6}}`,
			filters: []string{`{"p": 1}`, `{"q": {"$lte": 1}}`},
			code:    codes.ConflictingUpdateOperators, msg: "Update created a conflict at 'a.0'"},
		{name: "filter matching nothing is a no-op", doc: `{"_id": 1, "a": [1, 2]}`, update: `{"$set": {"a.$[x]": 0}}`,
			filters: []string{`{"x": 9}`}, want: `{"_id": 1, "a": [1, 2]}`, noop: true},
		{name: "missing array filter", doc: `{"_id": 1}`, update: `{"$set": {"a.$[x]": 1}}`,
			code: codes.BadValue, msg: "No array filter found for identifier 'x' in path 'a.$[x]'"},
		{name: "unused array filter", doc: `{"_id": 1}`, update: `{"$set": {"a.$[x]": 1}}`, filters: []string{`{"x": 1}`, `{"y": 2}`},
			code: codes.FailedToParse, msg: "The array filter for identifier 'y' was not used in the update { $set: { a.$[x]: 1 } }"},
		{name: "array filter with two identifiers", doc: `{"_id": 1}`, update: `{"$set": {"a.$[x]": 1}}`, filters: []string{`{"x": 1, "y": 2}`},
			code: codes.FailedToParse, msg: "Error parsing array filter :: caused by :: Expected a single top-level field name, found 'x' and 'y'"},
		{name: "array filter identifier case", doc: `{"_id": 1}`, update: `{"$set": {"a.$[X]": 1}}`, filters: []string{`{"X": 1}`},
			code: codes.BadValue, msg: "Error parsing array filter :: caused by :: The top-level field name must be an alphanumeric string beginning with a lowercase letter, found 'X'"},
		{name: "duplicate array filter", doc: `{"_id": 1}`, update: `{"$set": {"a.$[x]": 1}}`, filters: []string{`{"x": 1}`, `{"x": 2}`},
			code: codes.FailedToParse, msg: "Found multiple array filters with the same top-level field name x"},
		{name: "empty array filter", doc: `{"_id": 1}`, update: `{"$set": {"a.$[x]": 1}}`, filters: []string{`{}`},
			code: codes.FailedToParse, msg: "Cannot use an expression without a top-level field name in arrayFilters"},
		{name: "array filter with or", doc: `{"_id": 1, "a": [1, 2, 3]}`, update: `{"$set": {"a.$[x]": 0}}`,
			filters: []string{`{"$or": [{"x": 1}, {"x": 3}]}`}, want: `{"_id": 1, "a": [0, 2, 0]}`},
	}
}

func TestUpdate_Positional(t *testing.T) { updateRunAll(t, updateCasesPositional()) }
