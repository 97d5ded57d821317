package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// computedField is one of a collection's CollOptions.Computed or Defaults, compiled.
type computedField struct {
	field string
	expr  *expr.Expr
}

// fieldRules are a collection's CollOptions.Computed and Defaults, compiled.
type fieldRules struct {
	computed, defaults []computedField
}

// ruleField reports whether f may be a computed or required field: a top-level field other than _id.
func ruleField(f string) bool {
	return f != "" && f != "_id" && !strings.ContainsAny(f, ".\x00") && !strings.HasPrefix(f, "$")
}

// compileComputed checks o.Required (each a ruleField, named once) and checks and compiles o.Computed and
// o.Defaults: each a ruleField, named once in its list, and an expression CompileComputed takes (its errors;
// BadValue for a bad field).
func (o *CollOptions) compileComputed() (fieldRules, error) {
	for i, f := range o.Required {
		if !ruleField(f) || slices.Contains(o.Required[:i], f) {
			return fieldRules{}, codes.New(codes.BadValue, "required field name %q: a top-level field other than _id, named once", f)
		}
	}
	if (len(o.Computed) > 0 || len(o.Defaults) > 0) && o.IsView() {
		return fieldRules{}, codes.New(codes.InvalidOptions, "a view has no computed fields or defaults")
	}
	if err := o.checkReferences(); err != nil {
		return fieldRules{}, err
	}
	computed, err := compileFields("computed field", o.Computed)
	if err != nil {
		return fieldRules{}, err
	}
	defaults, err := compileFields("default", o.Defaults)
	if err != nil {
		return fieldRules{}, err
	}
	return fieldRules{computed: computed, defaults: defaults}, nil
}

// compileFields checks and compiles the fields of one of compileComputed's lists; what names them in errors.
func compileFields(what string, fields []ComputedField) ([]computedField, error) {
	if len(fields) == 0 {
		return nil, nil
	}
	out := make([]computedField, 0, len(fields))
	for _, cf := range fields {
		if !ruleField(cf.Field) {
			return nil, codes.New(codes.BadValue, "%s name %q: a top-level field other than _id", what, cf.Field)
		}
		for _, prev := range out {
			if prev.field == cf.Field {
				return nil, codes.New(codes.BadValue, "%s %q given twice", what, cf.Field)
			}
		}
		if len(cf.Expr) == 0 {
			return nil, codes.New(codes.BadValue, "%s %q has no expression", what, cf.Field)
		}
		e, err := expr.CompileComputed(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: cf.Expr})
		if err != nil {
			return nil, err
		}
		out = append(out, computedField{field: cf.Field, expr: e})
	}
	return out, nil
}

// withDefaults returns doc, a document about to be inserted into c, with each of c's defaults it lacks set to
// its value (evaluated over no document, $$NOW the write's time): doc itself when it lacks none, or when ctx
// skips defaults (WithoutDefaults). A field doc holds, even null, is kept; a NULL or missing value sets nothing.
func (c *collection) withDefaults(ctx context.Context, doc bson.Raw, now time.Time) (bson.Raw, error) {
	if len(c.rules.defaults) == 0 || withoutDefaults(ctx) {
		return doc, nil
	}
	var vars *expr.Vars
	for _, f := range c.rules.defaults {
		if _, err := doc.LookupErr(f.field); err == nil {
			continue
		}
		if vars == nil {
			vars = (*expr.Vars)(nil).Bind("NOW", value.Date(now.UnixMilli()))
		}
		v, err := f.expr.EvalIn(value.EmptyDoc, vars)
		if err != nil {
			return nil, err
		}
		if !value.IsNullish(v) {
			doc = setTopField(doc, f.field, v)
		}
	}
	if len(doc) > maxDocSize {
		return nil, codes.New(codes.BSONObjectTooLarge, "Resulting document after setting its defaults is larger than %d", maxDocSize)
	}
	return doc, nil
}

// noDefaultsKey is the context key of WithoutDefaults.
type noDefaultsKey struct{}

// WithoutDefaults returns a context whose inserts leave absent fields absent, whatever defaults the collection
// has (CollOptions.Defaults): the writer sets every field it means to. SQL's INSERT is one: it evaluates its
// columns' defaults itself and stores a NULL as an absent field.
func WithoutDefaults(ctx context.Context) context.Context {
	return context.WithValue(ctx, noDefaultsKey{}, true)
}

// withoutDefaults reports whether ctx skips defaults.
func withoutDefaults(ctx context.Context) bool {
	b, _ := ctx.Value(noDefaultsKey{}).(bool)
	return b
}

// withComputed returns doc, a document about to be written to c, with c's computed fields set to their values
// over it (in order, each seeing those before it), and removed where the value is NULL or missing; doc itself
// when each already holds its value. Errors are the expressions' (TypeMismatch for $multiply of a string, ...)
// and BSONObjectTooLarge (10334).
func (c *collection) withComputed(doc bson.Raw) (bson.Raw, error) {
	if len(c.rules.computed) == 0 {
		return doc, nil // every write comes here: a collection without computed fields pays nothing more
	}
	for _, f := range c.rules.computed {
		v, err := f.expr.Eval(doc)
		if err != nil {
			return nil, err
		}
		cur, err := doc.LookupErr(f.field)
		has := err == nil
		switch {
		case value.IsNullish(v):
			if has {
				doc = setTopField(doc, f.field, bson.RawValue{})
			}
		case has && cur.Type == v.Type && bytes.Equal(cur.Value, v.Value):
		default:
			doc = setTopField(doc, f.field, v)
		}
	}
	if len(doc) > maxDocSize {
		return nil, codes.New(codes.BSONObjectTooLarge, "Resulting document after computing its fields is larger than %d", maxDocSize)
	}
	return doc, nil
}

// setTopField returns a copy of doc with its top-level field set to v, in its place, or appended when doc has
// none; a zero v (Type 0) removes the field.
func setTopField(doc bson.Raw, field string, v bson.RawValue) bson.Raw {
	out := make([]byte, 4, len(doc)+len(field)+len(v.Value)+2)
	put := func() {
		out = bsoncore.AppendHeader(out, bsoncore.Type(v.Type), field)
		out = append(out, v.Value...)
	}
	done := v.Type == 0
	rest := []byte(doc)
	if len(rest) >= 5 {
		rest = rest[4 : len(rest)-1]
	}
	for len(rest) > 0 {
		el, r, ok := bsoncore.ReadElement(rest)
		if !ok {
			break
		}
		rest = r
		if string(el.KeyBytes()) == field {
			if !done {
				put()
				done = true
			}
			continue
		}
		out = append(out, el...)
	}
	if !done {
		put()
	}
	out = append(out, 0)
	binary.LittleEndian.PutUint32(out, uint32(len(out)))
	return out
}
