package concord_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// computedOpts are a collection's computed fields: lower_email (Unicode lower case of email, NULL for none) and
// total (qty * price, then the lower_email's length, to show an expression sees the fields before it).
func computedOpts(t *testing.T) concord.CollectionOptions {
	t.Helper()
	lower, _ := bson.Marshal(bson.D{{Key: "$sqlLower", Value: "$email"}})
	total, _ := bson.Marshal(bson.D{{Key: "$multiply", Value: bson.A{"$qty", "$price"}}})
	n, _ := bson.Marshal(bson.D{{Key: "$strLenCP", Value: bson.D{{Key: "$ifNull", Value: bson.A{"$lower_email", ""}}}}})
	return concord.CollectionOptions{Computed: []concord.ComputedField{
		{Field: "lower_email", Expr: lower}, {Field: "total", Expr: total}, {Field: "n", Expr: n}}}
}

// checkComputed fails unless the document with _id id holds the computed values of its email, qty and price.
func checkComputed(t *testing.T, c *concord.Collection, id any, wantLower any, wantTotal any, wantN int32) {
	t.Helper()
	raw, err := c.FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Raw()
	if err != nil {
		t.Fatalf("find %v: %v", id, err)
	}
	lv, lerr := raw.LookupErr("lower_email")
	switch {
	case wantLower == nil && lerr == nil:
		t.Errorf("%v: lower_email %v, want none", id, lv)
	case wantLower != nil && (lerr != nil || lv.StringValue() != wantLower):
		t.Errorf("%v: lower_email %v, want %v (%s)", id, lv, wantLower, raw)
	}
	tv, terr := raw.LookupErr("total")
	switch {
	case wantTotal == nil && terr == nil:
		t.Errorf("%v: total %v, want none", id, tv)
	case wantTotal != nil && (terr != nil || tv.Int32() != wantTotal.(int32)):
		t.Errorf("%v: total %v, want %v (%s)", id, tv, wantTotal, raw)
	}
	if nv, err := raw.LookupErr("n"); err != nil || nv.Int32() != wantN {
		t.Errorf("%v: n %v, want %d (%s)", id, nv, wantN, raw)
	}
}

// TestComputedFields_EveryWritePath writes through every path a document takes (insert, $set, pipeline update,
// replacement, upsert, findOneAndUpdate, findOneAndReplace, a write of the field itself) and checks the computed
// fields after each, then that they survive a restart and that a write the expression cannot evaluate is refused.
func TestComputedFields_EveryWritePath(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := db.Database("app")
	if err := d.CreateCollection(ctx, "users", computedOpts(t)); err != nil {
		t.Fatal(err)
	}
	c := d.Collection("users")
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "email", Value: "ÉVE@X.org"}, {Key: "qty", Value: 2}, {Key: "price", Value: 5}}); err != nil {
		t.Fatal(err)
	}
	checkComputed(t, c, 1, "éve@x.org", int32(10), 9)
	// A value written for a computed field is replaced by the computed one.
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}, {Key: "email", Value: "B@x"}, {Key: "lower_email", Value: "forged"}, {Key: "total", Value: 99}}); err != nil {
		t.Fatal(err)
	}
	checkComputed(t, c, 2, "b@x", nil, 3)
	if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "email", Value: "Ann@X"}}}, {Key: "$inc", Value: bson.D{{Key: "qty", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	checkComputed(t, c, 1, "ann@x", int32(15), 5)
	if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "lower_email", Value: "forged"}}}}); err != nil {
		t.Fatal(err)
	}
	checkComputed(t, c, 1, "ann@x", int32(15), 5)
	pipeline := bson.A{bson.D{{Key: "$set", Value: bson.D{{Key: "price", Value: bson.D{{Key: "$add", Value: bson.A{"$price", 1}}}}}}}}
	if _, err := c.UpdateMany(ctx, bson.D{}, pipeline); err != nil {
		t.Fatal(err)
	}
	checkComputed(t, c, 1, "ann@x", int32(18), 5)
	checkComputed(t, c, 2, "b@x", nil, 3) // NULL * 1: no total
	if _, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "qty", Value: 3}, {Key: "price", Value: 4}}); err != nil {
		t.Fatal(err)
	}
	checkComputed(t, c, 2, nil, int32(12), 0)
	if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 3}}, bson.D{{Key: "$set", Value: bson.D{{Key: "email", Value: "Up@Sert"}}}}, &concord.UpdateOptions{Upsert: true}); err != nil {
		t.Fatal(err)
	}
	checkComputed(t, c, 3, "up@sert", nil, 7)
	got, err := c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 3}}, bson.D{{Key: "$set", Value: bson.D{{Key: "qty", Value: 7}, {Key: "price", Value: 1}}}},
		&concord.FindOneAndUpdateOptions{ReturnDocument: concord.After}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Lookup("total"); v.Int32() != 7 {
		t.Errorf("findOneAndUpdate returned %s, want total 7", got)
	}
	got, err = c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 4}}, bson.D{{Key: "$set", Value: bson.D{{Key: "email", Value: "NEW"}}}},
		&concord.FindOneAndUpdateOptions{ReturnDocument: concord.After, Upsert: true}).Raw()
	if err != nil || got.Lookup("lower_email").StringValue() != "new" {
		t.Errorf("findOneAndUpdate upsert returned %s, %v; want lower_email new", got, err)
	}
	if _, err := c.FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: 4}}, bson.D{{Key: "email", Value: "Zed"}}).Raw(); err != nil {
		t.Fatal(err)
	}
	checkComputed(t, c, 4, "zed", nil, 3)

	// An expression that fails refuses the write, and nothing of it is written.
	_, err = c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "qty", Value: "many"}}}})
	var ce *concord.Error
	if !errors.As(err, &ce) || ce.Code != 14 && ce.Code != 16555 {
		t.Fatalf("update with a text qty: %v, want the expression's error", err)
	}
	checkComputed(t, c, 1, "ann@x", int32(18), 5)
	_, err = c.InsertOne(ctx, bson.D{{Key: "_id", Value: 5}, {Key: "email", Value: 7}})
	if !errors.As(err, &ce) || ce.Code != 14 {
		t.Fatalf("insert of a number as email: %v, want TypeMismatch (14)", err)
	}

	// $sqlLower is no operator outside computed fields.
	_, err = c.Aggregate(ctx, bson.A{bson.D{{Key: "$project", Value: bson.D{{Key: "x", Value: bson.D{{Key: "$sqlLower", Value: "$email"}}}}}}})
	if !errors.As(err, &ce) || ce.Code != 168 {
		t.Fatalf("aggregate with $sqlLower: %v, want InvalidPipelineOperator (168)", err)
	}
	// Bad specifications change nothing.
	for _, bad := range []concord.ComputedField{{Field: "_id", Expr: computedOpts(t).Computed[0].Expr}, {Field: "a.b", Expr: computedOpts(t).Computed[0].Expr},
		{Field: "x", Expr: mustRaw(t, bson.D{{Key: "$nope", Value: 1}})}} {
		err := d.ModifyCollection(ctx, "users", func(o *concord.CollectionOptions) error {
			o.Computed = append(o.Computed, bad)
			return nil
		})
		if err == nil {
			t.Errorf("computed field %+v accepted", bad)
		}
	}
	specs, err := d.ListCollectionSpecifications(ctx, nil)
	if err != nil || len(specs) != 1 || len(specs[0].Options.Computed) != 3 {
		t.Fatalf("specs %+v %v", specs, err)
	}

	db = reopen(t, db, dir)
	c = db.Database("app").Collection("users")
	if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "$set", Value: bson.D{{Key: "email", Value: "AFTER@restart"}}}}); err != nil {
		t.Fatal(err)
	}
	checkComputed(t, c, 2, "after@restart", int32(12), 13)
	// Dropping the computed fields leaves the values written and computes no more.
	if err := db.Database("app").ModifyCollection(ctx, "users", func(o *concord.CollectionOptions) error {
		o.Computed = nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "$set", Value: bson.D{{Key: "email", Value: "X"}}}}); err != nil {
		t.Fatal(err)
	}
	checkComputed(t, c, 2, "after@restart", int32(12), 13)
}

// TestComputedFields_ConcurrentWriters has writers race on the same documents, each setting email or
// incrementing qty; every document must end with its computed fields equal to its expression over the values
// it ended with (each write computes over the version it writes, never a stale read).
func TestComputedFields_ConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d := db.Database("app")
	if err := d.CreateCollection(ctx, "users", computedOpts(t)); err != nil {
		t.Fatal(err)
	}
	c := d.Collection("users")
	const docs, writers, rounds = 4, 8, 60
	for i := 0; i < docs; i++ {
		if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "email", Value: "A"}, {Key: "qty", Value: 0}, {Key: "price", Value: 3}}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				id := (w + r) % docs
				var u bson.D
				if r%2 == 0 {
					u = bson.D{{Key: "$inc", Value: bson.D{{Key: "qty", Value: 1}}}}
				} else {
					u = bson.D{{Key: "$set", Value: bson.D{{Key: "email", Value: string(rune('A'+w)) + "É"}}}}
				}
				if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, u); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	var incs int32
	for i := 0; i < docs; i++ {
		raw, err := c.FindOne(ctx, bson.D{{Key: "_id", Value: i}}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		qty := raw.Lookup("qty").Int32()
		incs += qty
		email := raw.Lookup("email").StringValue()
		checkComputed(t, c, i, lowerRunes(email), qty*3, int32(len([]rune(email))))
	}
	if incs != writers*rounds/2 {
		t.Errorf("%d increments, want %d", incs, writers*rounds/2)
	}
}

func lowerRunes(s string) string {
	out := []rune(s)
	for i, r := range out {
		switch {
		case r >= 'A' && r <= 'Z':
			out[i] = r + 'a' - 'A'
		case r == 'É':
			out[i] = 'é'
		}
	}
	return string(out)
}

// TestRequiredFields refuses every write that leaves a required field missing or null, whatever its path, with
// DocumentValidationFailure, lets bypassDocumentValidation through, and keeps the rule across a restart.
func TestRequiredFields(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := db.Database("app")
	if err := d.CreateCollection(ctx, "people", concord.CollectionOptions{Required: []string{"name"}}); err != nil {
		t.Fatal(err)
	}
	c := d.Collection("people")
	refused := func(what string, err error) {
		t.Helper()
		var ce *concord.Error
		if !errors.As(err, &ce) || ce.Code != 121 {
			t.Errorf("%s: %v, want DocumentValidationFailure (121)", what, err)
		}
	}
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "name", Value: "ann"}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}})
	refused("insert without the field", err)
	_, err = c.InsertOne(ctx, bson.D{{Key: "_id", Value: 3}, {Key: "name", Value: nil}})
	refused("insert of null", err)
	_, err = c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$unset", Value: bson.D{{Key: "name", Value: ""}}}})
	refused("$unset", err)
	_, err = c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "age", Value: 3}})
	refused("replacement", err)
	_, err = c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 4}}, bson.D{{Key: "$set", Value: bson.D{{Key: "age", Value: 1}}}}, &concord.UpdateOptions{Upsert: true})
	refused("upsert", err)
	if n, _ := c.CountDocuments(ctx, bson.D{}); n != 1 {
		t.Errorf("%d documents, want 1", n)
	}
	if _, err := c.InsertOne(concord.WithoutValidation(ctx), bson.D{{Key: "_id", Value: 5}}); err != nil {
		t.Errorf("bypassed insert: %v", err)
	}
	if err := d.ModifyCollection(ctx, "people", func(o *concord.CollectionOptions) error {
		o.Required = append(o.Required, "a.b")
		return nil
	}); err == nil {
		t.Error("a dotted required field accepted")
	}
	db = reopen(t, db, dir)
	_, err = db.Database("app").Collection("people").InsertOne(ctx, bson.D{{Key: "_id", Value: 6}})
	refused("insert after a restart", err)
}

// TestDefaultFields inserts through every path that inserts (insert, insertMany, upsert by update and by
// replacement, findOneAndUpdate's upsert) without the defaulted fields, and checks that each gets its default
// (a constant; $$NOW, the write's time; a computed field over a default; a required field a default fills), that
// a field the document holds, even null, is kept, that updates and replacements fill nothing, that inserts under
// WithoutDefaults fill nothing, and that the defaults survive a restart.
func TestDefaultFields(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	expr := func(v any) bson.Raw {
		raw, err := bson.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	opts := concord.CollectionOptions{
		Defaults: []concord.ComputedField{
			{Field: "status", Expr: expr(bson.D{{Key: "$literal", Value: "new"}})},
			{Field: "version", Expr: expr(bson.D{{Key: "$literal", Value: int32(0)}})},
			{Field: "created", Expr: expr(bson.D{{Key: "$ifNull", Value: bson.A{"$$NOW", nil}}})},
			{Field: "none", Expr: expr(bson.D{{Key: "$literal", Value: nil}})},
		},
		Computed: []concord.ComputedField{{Field: "label", Expr: expr(bson.D{{Key: "$toUpper", Value: "$status"}})}},
		Required: []string{"status"},
	}
	d := db.Database("app")
	if err := d.CreateCollection(ctx, "orders", opts); err != nil {
		t.Fatal(err)
	}
	c := d.Collection("orders")
	before := time.Now().Add(-time.Second)
	// check fails unless the document with _id id holds status, version and label as given (nil: absent) and a
	// created time of this test's when wantCreated.
	check := func(id any, status any, version any, wantCreated bool) {
		t.Helper()
		raw, err := c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
		if err != nil {
			t.Fatalf("find %v: %v", id, err)
		}
		field := func(name string, want any) {
			t.Helper()
			v, err := raw.LookupErr(name)
			switch {
			case want == nil && err == nil:
				t.Errorf("%v: %s %v, want none (%s)", id, name, v, raw)
			case want == "null" && (err != nil || v.Type != bson.TypeNull):
				t.Errorf("%v: %s %v, want null (%s)", id, name, v, raw)
			case want != nil && want != "null" && (err != nil || !sameValue(v, want)):
				t.Errorf("%v: %s %v, want %v (%s)", id, name, v, want, raw)
			}
		}
		field("status", status)
		field("version", version)
		if s, ok := status.(string); ok && s != "null" {
			field("label", strings.ToUpper(s))
		}
		field("none", nil)
		cv, err := raw.LookupErr("created")
		switch {
		case !wantCreated && err == nil:
			t.Errorf("%v: created %v, want none", id, cv)
		case wantCreated && (err != nil || cv.Type != bson.TypeDateTime || cv.Time().Before(before) || cv.Time().After(time.Now().Add(time.Second))):
			t.Errorf("%v: created %v, want this test's time (%s)", id, cv, raw)
		}
	}
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	check(1, "new", int32(0), true)
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}, {Key: "status", Value: "paid"}, {Key: "version", Value: nil}}); err != nil {
		t.Fatal(err)
	}
	check(2, "paid", "null", true)
	if _, err := c.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: 3}}, bson.D{{Key: "_id", Value: 4}, {Key: "version", Value: int64(7)}}}); err != nil {
		t.Fatal(err)
	}
	check(3, "new", int32(0), true)
	check(4, "new", int64(7), true)
	upsert := &concord.UpdateOptions{Upsert: true}
	if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 5}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}}}, upsert); err != nil {
		t.Fatal(err)
	}
	check(5, "new", int32(1), true)
	if _, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: 6}}, bson.D{{Key: "status", Value: "held"}}, &concord.ReplaceOptions{Upsert: true}); err != nil {
		t.Fatal(err)
	}
	check(6, "held", int32(0), true)
	if _, err := c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 7}}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}},
		&concord.FindOneAndUpdateOptions{Upsert: true, ReturnDocument: concord.After}).Raw(); err != nil {
		t.Fatal(err)
	}
	check(7, "new", int32(0), true)
	// Updates and replacements fill nothing: the required status refuses the replacement without it.
	if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$unset", Value: bson.D{{Key: "version", Value: ""}, {Key: "created", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}
	check(1, "new", nil, false)
	_, err = c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "x", Value: 1}})
	var ce *concord.Error
	if !errors.As(err, &ce) || ce.Code != 121 {
		t.Errorf("replacement without the required, defaulted status: %v, want DocumentValidationFailure (121)", err)
	}
	if _, err := c.InsertOne(concord.WithoutDefaults(ctx), bson.D{{Key: "_id", Value: 8}, {Key: "status", Value: "raw"}}); err != nil {
		t.Fatal(err)
	}
	check(8, "raw", nil, false)
	_, err = c.InsertOne(concord.WithoutDefaults(ctx), bson.D{{Key: "_id", Value: 9}})
	if !errors.As(err, &ce) || ce.Code != 121 {
		t.Errorf("an insert without defaults and without the required status: %v, want DocumentValidationFailure (121)", err)
	}
	bad := opts
	bad.Defaults = append(slices.Clone(opts.Defaults), concord.ComputedField{Field: "status", Expr: expr(bson.D{{Key: "$literal", Value: 1}})})
	if err := d.CreateCollection(ctx, "bad", bad); err == nil {
		t.Error("a field defaulted twice accepted")
	}
	db = reopen(t, db, dir)
	c = db.Database("app").Collection("orders")
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: 10}}); err != nil {
		t.Fatal(err)
	}
	check(10, "new", int32(0), true)
}

// sameValue reports whether v is want, a Go value of the same BSON type.
func sameValue(v bson.RawValue, want any) bool {
	t, data, err := bson.MarshalValue(want)
	return err == nil && v.Type == t && string(v.Value) == string(data)
}

// reopen closes db and opens the database in dir again (a restart), closed when t ends.
func reopen(t *testing.T, db *concord.DB, dir string) *concord.DB {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
