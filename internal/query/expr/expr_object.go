package expr

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $getField, $setField and $unsetField, which reach
// fields whose names a field path cannot spell (dots, a leading '$').
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/getField/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/setField/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/unsetField/

// fieldOp is $getField, $setField or $unsetField. field is the field
// name, a constant; input defaults to $$CURRENT for $getField.
type fieldOp struct {
	op    string
	field string
	input node
	val   node // $setField only
}

// compileFieldOp compiles the three operators; $getField also takes a
// bare field name.
func compileFieldOp(op string, arg bson.RawValue, scope *Scope) (node, error) {
	n := fieldOp{op: op}
	var fieldArg bson.RawValue
	if op == "$getField" && (arg.Type != bson.TypeEmbeddedDocument || isLiteral(arg)) {
		fieldArg = arg
	} else {
		if arg.Type != bson.TypeEmbeddedDocument {
			return nil, codes.New(4161100, "%s only supports an object as its argument", op)
		}
		elems, err := arg.Document().Elements()
		if err != nil {
			return nil, codes.New(codes.InvalidBSON, "invalid %s: %v", op, err)
		}
		for _, el := range elems {
			switch {
			case el.Key() == "field":
				fieldArg = el.Value()
			case el.Key() == "input":
				if n.input, err = compile(el.Value(), scope); err != nil {
					return nil, err
				}
			case el.Key() == "value" && op == "$setField":
				if n.val, err = compile(el.Value(), scope); err != nil {
					return nil, err
				}
			default:
				return nil, codes.New(4161101, "%s found an unknown argument: %s", op, el.Key())
			}
		}
		if fieldArg.Type == 0 {
			return nil, codes.New(4161102, "%s requires 'field' to be specified", op)
		}
		if n.input == nil && op != "$getField" {
			return nil, codes.New(4161103, "%s requires 'input' to be specified", op)
		}
		if n.val == nil && op == "$setField" {
			return nil, codes.New(4161104, "$setField requires 'value' to be specified")
		}
	}
	// field is a string constant or {$literal: "string"}; a plain string
	// starting with '$' would be a field path, which is not a constant.
	literal := false
	if fieldArg.Type == bson.TypeEmbeddedDocument {
		if lit, err := fieldArg.Document().LookupErr("$literal"); err == nil {
			fieldArg, literal = lit, true
		}
	}
	s, ok := fieldArg.StringValueOK()
	if !ok || !literal && len(s) > 0 && s[0] == '$' {
		return nil, codes.New(5654602, "%s requires 'field' to evaluate to a constant of type String, found %s", op, value.TypeNameOf(fieldArg))
	}
	if strings.IndexByte(s, 0) >= 0 {
		return nil, codes.New(4161107, "%s: 'field' cannot contain an embedded null byte", op)
	}
	n.field = s
	if n.input == nil {
		n.input = varPath{variable: "CURRENT"}
	}
	return n, nil
}

// isLiteral reports whether v is {$literal: ...}.
func isLiteral(v bson.RawValue) bool {
	elems, err := v.Document().Elements()
	return err == nil && len(elems) == 1 && elems[0].Key() == "$literal"
}

// eval implements node. A null or missing input gives null ($getField
// of missing gives missing); a non-document input fails.
func (n fieldOp) eval(c *env) (bson.RawValue, error) {
	in, err := n.input.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	if n.op == "$getField" {
		switch in.Type {
		case 0:
			return bson.RawValue{}, nil
		case bson.TypeNull, bson.TypeUndefined:
			return value.Null, nil
		case bson.TypeEmbeddedDocument:
			v, err := in.Document().LookupErr(n.field)
			if err != nil {
				return bson.RawValue{}, nil
			}
			return v, nil
		}
		return bson.RawValue{}, codes.New(3041705, "$getField requires 'input' to evaluate to type Object, but got %s", value.TypeNameOf(in))
	}
	if value.IsNullish(in) {
		return value.Null, nil
	}
	if in.Type != bson.TypeEmbeddedDocument {
		return bson.RawValue{}, codes.New(4161105, "%s requires 'input' to evaluate to type Object", n.op)
	}
	var val bson.RawValue // missing: remove the field
	if n.val != nil {
		if val, err = n.val.eval(c); err != nil {
			return bson.RawValue{}, err
		}
	}
	elems, err := in.Document().Elements()
	if err != nil {
		return bson.RawValue{}, codes.New(codes.InvalidBSON, "invalid document: %v", err)
	}
	idx, dst := bsoncore.AppendDocumentStart(nil)
	replaced := false
	for _, el := range elems {
		if el.Key() != n.field {
			dst = append(dst, el...)
			continue
		}
		if val.Type != 0 {
			dst = value.AppendElem(dst, n.field, val)
			replaced = true
		}
	}
	if !replaced && val.Type != 0 {
		dst = value.AppendElem(dst, n.field, val)
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return value.Doc(dst), nil
}
