package agg

import (
	"math/rand/v2"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $unionWith and $sample.

// unionWith appends another collection's documents (optionally passed
// through a pipeline) to the input.
type unionWith struct {
	coll     string
	pipeline *Pipeline
}

// compileUnionWith compiles $unionWith as a collection name or {coll, pipeline}.
func compileUnionWith(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	u := &unionWith{}
	switch arg.Type {
	case bson.TypeString:
		u.coll = arg.StringValue()
	case bson.TypeEmbeddedDocument:
		elems, err := arg.Document().Elements()
		if err != nil {
			return nil, codes.New(codes.InvalidBSON, "invalid $unionWith: %v", err)
		}
		haveColl := false
		for _, el := range elems {
			switch el.Key() {
			case "coll":
				s, ok := el.Value().StringValueOK()
				if !ok {
					return nil, codes.New(codes.TypeMismatch, "BSON field '$unionWith.coll' is the wrong type '%s', expected type 'string'", value.TypeNameOf(el.Value()))
				}
				u.coll, haveColl = s, true
			case "pipeline":
				if el.Value().Type != bson.TypeArray {
					return nil, codes.New(codes.TypeMismatch, "BSON field '$unionWith.pipeline' is the wrong type '%s', expected type 'array'", value.TypeNameOf(el.Value()))
				}
				var stages []bson.Raw
				for _, st := range value.Values(el.Value()) {
					d, ok := st.DocumentOK()
					if !ok {
						return nil, codes.New(codes.TypeMismatch, "Each element of the 'pipeline' array must be an object")
					}
					stages = append(stages, d)
				}
				p, err := compileIn(stages, scope)
				if err != nil {
					return nil, err
				}
				u.pipeline = p
			default:
				return nil, codes.New(40415, "BSON field '$unionWith.%s' is an unknown field.", el.Key())
			}
		}
		if !haveColl {
			return nil, codes.New(40414, "BSON field '$unionWith.coll' is missing but a required field")
		}
	default:
		return nil, codes.New(codes.FailedToParse, "the $unionWith stage specification must be an object or string, but found %s", value.TypeNameOf(arg))
	}
	return u, nil
}

// open returns the input's documents, then those of the other
// collection through the sub-pipeline, read only once the input ends.
func (u *unionWith) open(r *run, in Iterator) Iterator {
	return &unionIter{r: r, in: in, u: u}
}

// unionIter is $unionWith's iterator.
type unionIter struct {
	r     *run
	in    Iterator
	u     *unionWith
	other Iterator
	err   error
}

// Next implements Iterator.
func (it *unionIter) Next() (bson.Raw, error) {
	if it.err != nil {
		return nil, it.err
	}
	if it.other == nil {
		d, err := it.in.Next()
		if err != nil || d != nil {
			it.err = err
			return d, err
		}
		if it.r.src == nil {
			it.err = codes.New(codes.IllegalOperation, "$unionWith is not supported in this context")
			return nil, it.err
		}
		other, err := it.r.src.Read(it.r.ctx, it.u.coll, nil)
		if err != nil {
			it.err = err
			return nil, err
		}
		it.other = other
		if it.u.pipeline != nil {
			it.other = it.u.pipeline.open(it.r, other)
		}
	}
	d, err := it.other.Next()
	it.err = err
	return d, err
}

// Close implements Iterator.
func (it *unionIter) Close() error {
	err := it.in.Close()
	if it.other != nil {
		if oerr := it.other.Close(); err == nil {
			err = oerr
		}
	}
	return err
}

// compileSample is $sample {size: n}: n documents chosen at random
// without repetition, in random order.
func compileSample(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, codes.New(28745, "the $sample stage specification must be an object")
	}
	elems, err := d.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $sample: %v", err)
	}
	size := int64(-1)
	for _, el := range elems {
		if el.Key() != "size" {
			return nil, codes.New(28748, "unrecognized option to $sample: %s", el.Key())
		}
		if !value.IsNumber(el.Value()) {
			return nil, codes.New(28746, "size argument to $sample must be a number")
		}
		f, _ := value.ToFloat(el.Value())
		if f < 0 || f != f {
			return nil, codes.New(28747, "size argument to $sample must not be negative")
		}
		size = int64(min(f, 1<<62))
	}
	if size < 0 {
		return nil, codes.New(28749, "$sample stage must specify a size")
	}
	return sampleStage(size), nil
}

// sampleStage is $sample of n documents.
type sampleStage int64

// open keeps a uniform random sample of at most n input documents
// (reservoir sampling, so $sample holds n documents, not its input) and
// returns them in random order.
func (n sampleStage) open(r *run, in Iterator) Iterator {
	return &sampleIter{r: r, in: in, n: int64(n)}
}

// sampleIter is $sample's iterator.
type sampleIter struct {
	r   *run
	in  Iterator
	n   int64
	out Iterator
}

// Next implements Iterator.
func (it *sampleIter) Next() (bson.Raw, error) {
	if it.out == nil {
		var keep []bson.Raw
		for seen := int64(0); ; seen++ {
			if seen%checkEvery == checkEvery-1 {
				if err := codes.FromContext(it.r.ctx); err != nil {
					return nil, err
				}
			}
			d, err := it.in.Next()
			if err != nil {
				return nil, err
			}
			if d == nil {
				break
			}
			if int64(len(keep)) < it.n {
				keep = append(keep, d)
			} else if j := rand.Int64N(seen + 1); j < it.n {
				keep[j] = d
			}
		}
		rand.Shuffle(len(keep), func(i, j int) { keep[i], keep[j] = keep[j], keep[i] })
		it.out = Docs(keep)
	}
	return it.out.Next()
}

// Close implements Iterator.
func (it *sampleIter) Close() error { return it.in.Close() }
