package filter

import (
	"strings"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Validator is a compiled collection validator: a query filter (any operator, $jsonSchema and $expr included)
// every document written to the collection must match. It is immutable and safe for concurrent use.
type Validator struct {
	f   *Filter
	raw bson.Raw
}

// CompileValidator compiles a validator document. Errors are Compile's, plus mongod's refusal of the operators a
// validator may not use: $where, $text, $near, $nearSphere and $geoNear.
func CompileValidator(doc bson.Raw) (*Validator, error) {
	if err := refuseInValidator(doc, 0); err != nil {
		return nil, err
	}
	f, err := Compile(doc)
	if err != nil {
		return nil, err
	}
	return &Validator{f: f, raw: f.raw}, nil
}

// refuseInValidator finds the operators a validator may not hold.
func refuseInValidator(doc bson.Raw, depth int) error {
	if depth > maxDepth || len(doc) == 0 {
		return nil
	}
	it := value.IterOf(doc)
	for {
		k, v, ok := it.Next()
		if !ok {
			return nil
		}
		switch key := string(k); key {
		case "$where", "$text", "$near", "$nearSphere", "$geoNear":
			return codes.New(codes.QueryFeatureNotAllowed, "%s is not allowed in this context", key)
		case "$expr", "$jsonSchema":
			continue
		}
		switch v.Type {
		case bson.TypeEmbeddedDocument, bson.TypeArray:
			if err := refuseInValidator(v.Value, depth+1); err != nil {
				return err
			}
		}
	}
}

// Raw returns the validator document; it aliases the Validator's memory and must not be modified.
func (v *Validator) Raw() bson.Raw { return v.raw }

// Validate reports whether doc satisfies the validator. When it does not, details is mongod's errInfo.details
// (5.0 and later): the operator that failed, what it was specified as, and why. err is the evaluation error of a
// $expr, which fails the validation too.
func (v *Validator) Validate(doc bson.Raw) (ok bool, details bson.D, err error) {
	ok, _, err = v.f.MatchErr(doc)
	if ok && err == nil {
		return true, nil, nil
	}
	return false, explainDoc(v.raw, doc), err
}

// clause is one top-level element of a query document.
type clause struct {
	key string
	v   bson.RawValue
}

// clausesOf splits a query document into its elements ($comment dropped).
func clausesOf(q bson.Raw) []clause {
	var out []clause
	it := value.IterOf(q)
	for {
		k, v, ok := it.Next()
		if !ok {
			return out
		}
		if string(k) == "$comment" {
			continue
		}
		out = append(out, clause{string(k), v})
	}
}

// clauseDoc returns {key: v} as a document.
func clauseDoc(key string, v bson.RawValue) bson.Raw {
	d := bsonDoc(func(dst []byte) []byte { return value.AppendElem(dst, key, v) })
	return d
}

// bsonDoc builds a document from its appended elements.
func bsonDoc(elems func([]byte) []byte) bson.Raw {
	b := []byte{0, 0, 0, 0}
	b = elems(b)
	b = append(b, 0)
	n := len(b)
	b[0], b[1], b[2], b[3] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	return b
}

// matchesClause reports whether doc satisfies the one-clause query {key: v}.
func matchesClause(key string, v bson.RawValue, doc bson.Raw) bool {
	f, err := Compile(clauseDoc(key, v))
	if err != nil {
		return false
	}
	ok, _, err := f.MatchErr(doc)
	return ok && err == nil
}

// explainDoc explains why doc fails the query document q: the failing clause's details, or, when q has several
// clauses, {operatorName: "$and", clausesNotSatisfied: [{index, details}]}.
func explainDoc(q bson.Raw, doc bson.Raw) bson.D {
	cs := clausesOf(q)
	if len(cs) == 1 {
		return explainClause(cs[0].key, cs[0].v, doc)
	}
	var failing bson.A
	for i, c := range cs {
		if !matchesClause(c.key, c.v, doc) {
			failing = append(failing, bson.D{{Key: "index", Value: int32(i)}, {Key: "details", Value: explainClause(c.key, c.v, doc)}})
		}
	}
	return bson.D{{Key: "operatorName", Value: "$and"}, {Key: "clausesNotSatisfied", Value: failing}}
}

// explainClause explains why doc fails {key: v}.
func explainClause(key string, v bson.RawValue, doc bson.Raw) bson.D {
	spec := bson.D{{Key: key, Value: v}}
	switch key {
	case "$jsonSchema":
		sc, err := compileJSONSchema(v, 0)
		if err != nil {
			return bson.D{{Key: "operatorName", Value: key}, {Key: "reason", Value: err.Error()}}
		}
		return explainSchema(sc, doc)
	case "$and", "$or", "$nor":
		var list bson.A
		i := 0
		it := value.IterOf(v.Value)
		for {
			_, e, ok := it.Next()
			if !ok {
				break
			}
			m := matchesClauses(e.Value, doc)
			switch {
			case key == "$nor" && m:
				list = append(list, bson.D{{Key: "index", Value: int32(i)}})
			case key != "$nor" && !m:
				list = append(list, bson.D{{Key: "index", Value: int32(i)}, {Key: "details", Value: explainDoc(e.Value, doc)}})
			}
			i++
		}
		name := "clausesNotSatisfied"
		if key == "$nor" {
			name = "clausesSatisfied"
		}
		return bson.D{{Key: "operatorName", Value: key}, {Key: name, Value: list}}
	case "$expr":
		d := bson.D{{Key: "operatorName", Value: "$expr"}, {Key: "specifiedAs", Value: spec}}
		e, err := expr.Compile(v)
		if err != nil {
			return append(d, bson.E{Key: "reason", Value: "failed to evaluate aggregation expression"})
		}
		res, err := e.Eval(doc)
		if err != nil {
			ce, _ := codes.As(err)
			det := bson.D{{Key: "errmsg", Value: err.Error()}}
			if ce != nil {
				det = bson.D{{Key: "code", Value: int32(ce.Code)}, {Key: "codeName", Value: ce.CodeName()}, {Key: "errmsg", Value: ce.Message}}
			}
			return append(d, bson.E{Key: "reason", Value: "failed to evaluate aggregation expression"}, bson.E{Key: "details", Value: det})
		}
		return append(d, bson.E{Key: "reason", Value: "expression did not match"}, bson.E{Key: "expressionResult", Value: res})
	case "$alwaysFalse":
		return bson.D{{Key: "operatorName", Value: key}, {Key: "specifiedAs", Value: spec}, {Key: "reason", Value: "expression always evaluates to false"}}
	}
	if strings.HasPrefix(key, "$") {
		return bson.D{{Key: "operatorName", Value: key}, {Key: "specifiedAs", Value: spec}}
	}
	if isOperatorDoc(v) {
		ops := clausesOf(v.Value)
		if len(ops) > 1 {
			var failing bson.A
			for i, op := range ops {
				one := bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: clauseDoc(op.key, op.v)}
				if !matchesClause(key, one, doc) {
					failing = append(failing, bson.D{{Key: "index", Value: int32(i)}, {Key: "details", Value: explainLeaf(key, op.key, op.v, one, doc)}})
				}
			}
			return bson.D{{Key: "operatorName", Value: "$and"}, {Key: "clausesNotSatisfied", Value: failing}}
		}
		if len(ops) == 1 {
			return explainLeaf(key, ops[0].key, ops[0].v, v, doc)
		}
	}
	op := "$eq"
	if v.Type == bson.TypeRegex {
		op = "$regex"
	}
	return explainLeaf(key, op, v, v, doc)
}

// matchesClauses reports whether doc satisfies the query document q.
func matchesClauses(q bson.Raw, doc bson.Raw) bool {
	f, err := Compile(q)
	if err != nil {
		return false
	}
	ok, _, err := f.MatchErr(doc)
	return ok && err == nil
}

// leafReasons are mongod's reasons for a failed leaf operator, in the normal and the negated sense.
var leafReasons = map[string]string{
	"$eq": "comparison failed", "$gt": "comparison failed", "$gte": "comparison failed", "$lt": "comparison failed",
	"$lte": "comparison failed", "$ne": "comparison succeeded", "$in": "no matching value found in array",
	"$nin": "matching value found in array", "$type": "type did not match", "$regex": "regular expression did not match",
	"$size": "array length was not equal to given size", "$elemMatch": "array did not satisfy the child predicate",
	"$all": "array did not contain all specified values", "$mod": "$mod did not evaluate to expected remainder",
	"$bitsAllSet": "bitwise operator failed to match", "$bitsAllClear": "bitwise operator failed to match",
	"$bitsAnySet": "bitwise operator failed to match", "$bitsAnyClear": "bitwise operator failed to match",
}

// explainLeaf explains why the value at path fails {op: arg}; spec is the value the validator gave the path.
func explainLeaf(path, op string, arg, spec bson.RawValue, doc bson.Raw) bson.D {
	d := bson.D{{Key: "operatorName", Value: op}, {Key: "specifiedAs", Value: bson.D{{Key: path, Value: spec}}}}
	cur := lookupPath(doc, path)
	if op == "$exists" {
		if value.TrueValue(arg) {
			return append(d, bson.E{Key: "reason", Value: "path does not exist"})
		}
		return append(d, bson.E{Key: "reason", Value: "path does exist"}, bson.E{Key: "consideredValue", Value: cur})
	}
	if op == "$not" {
		return append(d, bson.E{Key: "reason", Value: "child expression matched"})
	}
	if cur.Type == 0 {
		if op == "$ne" || op == "$nin" {
			return append(d, bson.E{Key: "reason", Value: leafReasons[op]})
		}
		return append(d, bson.E{Key: "reason", Value: "field was missing"})
	}
	reason, ok := leafReasons[op]
	if !ok {
		reason = "expression did not match"
	}
	d = append(d, bson.E{Key: "reason", Value: reason}, bson.E{Key: "consideredValue", Value: cur})
	if op == "$type" {
		d = append(d, bson.E{Key: "consideredType", Value: value.TypeName(cur.Type)})
	}
	return d
}

// lookupPath returns the value at a dotted path through embedded documents (Type 0 when absent).
func lookupPath(doc bson.Raw, path string) bson.RawValue {
	cur := bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}
	for _, part := range strings.Split(path, ".") {
		switch cur.Type {
		case bson.TypeEmbeddedDocument:
			cur = value.Lookup(cur.Value, part)
		case bson.TypeArray:
			if i := value.ArrayIndex(part); i >= 0 {
				cur = value.ArrayElem(cur, i)
			} else {
				return bson.RawValue{}
			}
		default:
			return bson.RawValue{}
		}
		if cur.Type == 0 {
			return cur
		}
	}
	return cur
}
