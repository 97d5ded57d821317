// Package repo keeps typed entities in versioned documents: Repository[T] reads and writes one collection of
// T with every write version-checked (package occ), and Unit groups the loads and writes of a business
// operation into a unit of work with an identity map, committed in one transaction.
//
// T is a struct with an _id field (bson:"_id") and a version field, the one whose bson name is the
// collection's version field ("version" by default): callers never handle the version by hand. Insert sets it
// to 1, every successful write moves it, and a write from a stale copy fails with an *occ.ConflictError.
//
// Repository and its methods are safe for concurrent use; a Unit is not.
package repo

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
)

// Repository reads and writes T in one versioned collection.
type Repository[T any] struct {
	c       *occ.Collection
	id      []int // field index of _id
	version []int // field index of the version
}

// New returns a repository of T over c. It fails when T is not a struct with a bson "_id" field and an integer
// field named by c's version field.
func New[T any](c *occ.Collection) (*Repository[T], error) {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("repo: %v is not a struct", t)
	}
	r := &Repository[T]{c: c}
	for _, f := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("bson"), ",")
		switch name {
		case "_id":
			r.id = f.Index
		case c.VersionField():
			switch f.Type.Kind() {
			case reflect.Int, reflect.Int32, reflect.Int64:
				r.version = f.Index
			default:
				return nil, fmt.Errorf("repo: %v.%s holds the version and must be an integer", t, f.Name)
			}
		}
	}
	if r.id == nil || r.version == nil {
		return nil, fmt.Errorf("repo: %v needs a field tagged bson:\"_id\" and one tagged bson:%q", t, c.VersionField())
	}
	return r, nil
}

// Collection returns the versioned collection the repository writes.
func (r *Repository[T]) Collection() *occ.Collection { return r.c }

// ID returns t's _id.
func (r *Repository[T]) ID(t *T) any { return reflect.ValueOf(t).Elem().FieldByIndex(r.id).Interface() }

// Version returns t's version.
func (r *Repository[T]) Version(t *T) int64 {
	return reflect.ValueOf(t).Elem().FieldByIndex(r.version).Int()
}

func (r *Repository[T]) setVersion(t *T, v int64) {
	reflect.ValueOf(t).Elem().FieldByIndex(r.version).SetInt(v)
}

// Get returns the entity with _id id; an error matching occ.ErrNotFound when there is none.
func (r *Repository[T]) Get(ctx context.Context, id any) (*T, error) {
	doc, _, err := r.c.FindByID(ctx, id)
	if err != nil {
		return nil, err
	}
	t := new(T)
	return t, bson.Unmarshal(doc, t)
}

// Find returns the entities matching filter (nil for all).
func (r *Repository[T]) Find(ctx context.Context, filter any) ([]*T, error) {
	docs, err := r.c.Unversioned().Find(ctx, filter, nil)
	if err != nil {
		return nil, err
	}
	out := make([]*T, len(docs))
	for i, d := range docs {
		out[i] = new(T)
		if err := bson.Unmarshal(d, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Insert stores t as a new document at version 1 and sets t's version. A zero ObjectID _id is replaced by a
// new one first. An existing _id is an *occ.ConflictError.
func (r *Repository[T]) Insert(ctx context.Context, t *T) error {
	idv := reflect.ValueOf(t).Elem().FieldByIndex(r.id)
	if oid, ok := idv.Interface().(bson.ObjectID); ok && oid.IsZero() {
		idv.Set(reflect.ValueOf(bson.NewObjectID()))
	}
	res, err := r.c.Insert(ctx, t)
	if err != nil {
		return err
	}
	r.setVersion(t, res.NewVersion)
	return nil
}

// Save writes the fields of t that differ from the stored document, if the stored document is still at t's
// version, and moves t's version. Otherwise nothing is written and the error is an *occ.ConflictError (or
// matches occ.ErrNotFound when the document is gone). Save always checks the whole version: it knows the
// stored document only as it is now, not the base t was edited from (a Unit knows it, and can check fields).
func (r *Repository[T]) Save(ctx context.Context, t *T) error {
	res, _, err := r.save(ctx, t, nil, false)
	if err != nil {
		return err
	}
	r.setVersion(t, res.NewVersion)
	return nil
}

// save writes t against base (the stored document, read now when nil).
func (r *Repository[T]) save(ctx context.Context, t *T, base bson.Raw, fieldLevel bool) (occ.Result, bson.Raw, error) {
	id, version := r.ID(t), r.Version(t)
	if base == nil {
		cur, storedVersion, err := r.c.FindByID(ctx, id)
		if err != nil {
			return occ.Result{}, nil, err
		}
		if storedVersion != version {
			// Another writer won: the version check must fail even when the fields happen to agree.
			res, err := r.c.Touch(ctx, id, version)
			return res, nil, err
		}
		// The stored document as T sees it: fields T does not hold stay out of the diff.
		var stored T
		if err := bson.Unmarshal(cur, &stored); err != nil {
			return occ.Result{}, nil, err
		}
		if base, err = bson.Marshal(&stored); err != nil {
			return occ.Result{}, nil, err
		}
	}
	mine, err := bson.Marshal(t)
	if err != nil {
		return occ.Result{}, nil, err
	}
	return r.c.WriteDiff(ctx, occ.Diff{ID: id, Version: version, Base: base, Mine: mine, FieldLevel: fieldLevel, ReturnDocument: fieldLevel})
}

// Delete deletes t's document if it is still at t's version.
func (r *Repository[T]) Delete(ctx context.Context, t *T) error {
	_, err := r.c.DeleteOne(ctx, r.ID(t), r.Version(t))
	return err
}

// Update is the versioned read-modify-write of occ.Modify with the collection's retry: fn may run several times.
// It returns the entity as fn left it at the last attempt, with its new version.
func (r *Repository[T]) Update(ctx context.Context, id any, fn func(*T) error) (*T, occ.Result, error) {
	var last T
	res, err := occ.Modify(ctx, r.c, id, func(t *T) error {
		if err := fn(t); err != nil {
			return err
		}
		last = *t
		return nil
	})
	if err != nil {
		return nil, res, err
	}
	r.setVersion(&last, res.NewVersion)
	return &last, res, nil
}

// setID sets the _id field of t.
func setID[T any](t *T, index []int, id any) {
	reflect.ValueOf(t).Elem().FieldByIndex(index).Set(reflect.ValueOf(id))
}
