package agg

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $fill, which mongod runs as a $setWindowFields with
// $locf and $linearFill for the fields filled by a method, followed by an
// $addFields of {$ifNull: ["$field", value]} for those filled with a
// value; it is compiled into exactly those stages.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/fill/

// chain is a stage made of stages run one after the other.
type chain []stage

// open implements stage.
func (c chain) open(r *run, in Iterator) Iterator {
	for _, st := range c {
		in = st.open(r, in)
	}
	return in
}

// compileFill compiles {$fill: {partitionBy | partitionByFields, sortBy, output}}.
func compileFill(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(codes.FailedToParse, "The $fill stage specification must be an object, found %s", value.TypeNameOf(arg))
	}
	elems, _ := arg.Document().Elements()
	var partitionBy, partitionByFields, sortBy, output bson.RawValue
	for _, el := range elems {
		v := el.Value()
		switch el.Key() {
		case "partitionBy":
			if v.Type != bson.TypeString && v.Type != bson.TypeEmbeddedDocument {
				return nil, codes.New(codes.TypeMismatch, "BSON field '$fill.partitionBy' is the wrong type '%s', expected types '[string, object]'", value.TypeNameOf(v))
			}
			partitionBy = v
		case "partitionByFields":
			if v.Type != bson.TypeArray {
				return nil, codes.New(codes.TypeMismatch, "BSON field '$fill.partitionByFields' is the wrong type '%s', expected type 'array'", value.TypeNameOf(v))
			}
			partitionByFields = v
		case "sortBy":
			if v.Type != bson.TypeEmbeddedDocument {
				return nil, codes.New(codes.TypeMismatch, "BSON field '$fill.sortBy' is the wrong type '%s', expected type 'object'", value.TypeNameOf(v))
			}
			sortBy = v
		case "output":
			if v.Type != bson.TypeEmbeddedDocument {
				return nil, codes.New(codes.TypeMismatch, "BSON field '$fill.output' is the wrong type '%s', expected type 'object'", value.TypeNameOf(v))
			}
			output = v
		default:
			return nil, codes.New(40415, "BSON field '$fill.%s' is an unknown field.", el.Key())
		}
	}
	if output.Type == 0 {
		return nil, codes.New(40414, "BSON field '$fill.output' is missing but a required field")
	}
	outs, _ := output.Document().Elements()
	if len(outs) == 0 {
		return nil, codes.New(6050203, "The output field in '$fill' must contain an object with at least one element")
	}
	var windowOut, addFields []byte
	for _, el := range outs {
		field := el.Key()
		spec, ok := el.Value().DocumentOK()
		if !ok {
			return nil, codes.New(6050200, "Each fill output specification must be an object with exactly one field")
		}
		fields, _ := spec.Elements()
		var method, val bson.RawValue
		for _, f := range fields {
			switch f.Key() {
			case "method":
				method = f.Value()
				if method.Type != bson.TypeString {
					return nil, codes.New(codes.TypeMismatch, "BSON field '$fill.output.method' is the wrong type '%s', expected type 'string'", value.TypeNameOf(method))
				}
			case "value":
				val = f.Value()
			default:
				return nil, codes.New(40415, "BSON field '$fill.output.%s' is an unknown field.", f.Key())
			}
		}
		switch {
		case method.Type != 0 && val.Type != 0:
			return nil, codes.New(6050201, "Each fill output specification must have exactly one of 'method' or 'value' fields, not both")
		case method.Type != 0:
			fn := map[string]string{"locf": "$locf", "linear": "$linearFill"}[method.StringValue()]
			if fn == "" {
				return nil, codes.New(6050202, "Method must be either locf or linear")
			}
			windowOut = value.AppendElem(windowOut, field, doc(fn, value.String("$"+field)))
		case val.Type != 0:
			addFields = value.AppendElem(addFields, field, doc("$ifNull", value.Array([]bson.RawValue{value.String("$" + field), val})))
		default:
			return nil, codes.New(6050201, "Each fill output specification must have exactly one of 'method' or 'value' fields, not both")
		}
	}
	var c chain
	if windowOut != nil {
		idx, spec := bsoncore.AppendDocumentStart(nil)
		spec = value.AppendElem(spec, "output", value.Doc(wrapDoc(windowOut)))
		if sortBy.Type != 0 {
			spec = value.AppendElem(spec, "sortBy", sortBy)
		}
		if partitionBy.Type != 0 {
			if partitionByFields.Type != 0 {
				return nil, codes.New(6050204, "Maximum one of 'partitionBy' and 'partitionByFields can be specified in '$fill'")
			}
			spec = value.AppendElem(spec, "partitionBy", partitionBy)
		}
		if partitionByFields.Type != 0 {
			var pb []byte
			for _, f := range value.Values(partitionByFields) {
				s, ok := f.StringValueOK()
				if !ok {
					return nil, codes.New(codes.TypeMismatch, "BSON field '$fill.partitionByFields' must hold strings, found %s", value.TypeNameOf(f))
				}
				pb = value.AppendElem(pb, s, value.String("$"+s))
			}
			spec = value.AppendElem(spec, "partitionBy", value.Doc(wrapDoc(pb)))
		}
		spec, _ = bsoncore.AppendDocumentEnd(spec, idx)
		st, err := compileSetWindowFields("$setWindowFields", value.Doc(spec), scope)
		if err != nil {
			return nil, err
		}
		c = append(c, st)
	}
	if addFields != nil {
		st, err := compileAddFields("$addFields", value.Doc(wrapDoc(addFields)), scope)
		if err != nil {
			return nil, err
		}
		c = append(c, st)
	}
	return c, nil
}

// wrapDoc makes a document of appended elements.
func wrapDoc(elems []byte) bson.Raw {
	idx, d := bsoncore.AppendDocumentStart(nil)
	d = append(d, elems...)
	d, _ = bsoncore.AppendDocumentEnd(d, idx)
	return d
}
