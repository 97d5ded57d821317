package agg

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// unwind is a compiled $unwind.
type unwind struct {
	path      []string
	indexPath []string // includeArrayIndex, nil when absent
	preserve  bool     // preserveNullAndEmptyArrays
}

// compileUnwind compiles $unwind as a "$path" string or {path, includeArrayIndex, preserveNullAndEmptyArrays}.
func compileUnwind(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	u := &unwind{}
	var pathV bson.RawValue
	switch arg.Type {
	case bson.TypeString:
		pathV = arg
	case bson.TypeEmbeddedDocument:
		elems, err := arg.Document().Elements()
		if err != nil {
			return nil, codes.New(codes.InvalidBSON, "invalid $unwind: %v", err)
		}
		for _, el := range elems {
			v := el.Value()
			switch el.Key() {
			case "path":
				if v.Type != bson.TypeString {
					return nil, codes.New(28808, "expected a string as the path for $unwind stage, got %s", value.TypeNameOf(v))
				}
				pathV = v
			case "preserveNullAndEmptyArrays":
				b, ok := v.BooleanOK()
				if !ok {
					return nil, codes.New(28809, "expected a boolean for the preserveNullAndEmptyArrays option to $unwind stage, got %s", value.TypeNameOf(v))
				}
				u.preserve = b
			case "includeArrayIndex":
				s, ok := v.StringValueOK()
				if !ok || s == "" {
					return nil, codes.New(28810, "expected a non-empty string for the includeArrayIndex option to $unwind stage, got %s", value.TypeNameOf(v))
				}
				if strings.HasPrefix(s, "$") {
					return nil, codes.New(28822, "includeArrayIndex option to $unwind stage should not be prefixed with a '$': %s", s)
				}
				p, err := expr.SplitPath(s)
				if err != nil {
					return nil, err
				}
				u.indexPath = p
			default:
				return nil, codes.New(28811, "unrecognized option to $unwind stage: %s", el.Key())
			}
		}
		if pathV.Type == 0 {
			return nil, codes.New(28812, "no path specified to $unwind stage")
		}
	default:
		return nil, codes.New(15981, "expected either a string or an object as specification for $unwind stage, got %s", value.TypeNameOf(arg))
	}
	s := pathV.StringValue()
	if s == "" {
		return nil, codes.New(28812, "no path specified to $unwind stage")
	}
	if !strings.HasPrefix(s, "$") {
		return nil, codes.New(28818, "path option to $unwind stage should be prefixed with a '$': %s", s)
	}
	p, err := expr.SplitPath(s[1:])
	if err != nil {
		return nil, err
	}
	u.path = p
	return u, nil
}

// open implements stage.
func (u *unwind) open(r *run, in Iterator) Iterator {
	return mapStage(u.unwind).open(r, in)
}

// unwind appends the documents d unwinds to.
func (u *unwind) unwind(_ *run, d bson.Raw, out []bson.Raw) ([]bson.Raw, error) {
	v := getPath(d, u.path)
	switch {
	case v.Type == bson.TypeArray:
		vals := value.Values(v)
		if len(vals) == 0 {
			if u.preserve {
				out = append(out, u.withIndex(setPath(d, u.path, bson.RawValue{}), value.Null))
			}
			return out, nil
		}
		for j, e := range vals {
			out = append(out, u.withIndex(setPath(d, u.path, e), value.Int64(int64(j))))
		}
	case value.IsNullish(v):
		if u.preserve {
			out = append(out, u.withIndex(d, value.Null))
		}
	default:
		// A non-array value is unwound as a one-element array.
		out = append(out, u.withIndex(d, value.Null))
	}
	return out, nil
}

// withIndex sets includeArrayIndex's field when requested.
func (u *unwind) withIndex(d bson.Raw, idx bson.RawValue) bson.Raw {
	if u.indexPath == nil {
		return d
	}
	return setPath(d, u.indexPath, idx)
}
