package occ_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store/storetest"
)

// counter is the document of the lost-update scenario.
type counter struct {
	ID      string `bson:"_id"`
	N       int64  `bson:"n"`
	Version int64  `bson:"version"`
}

// fastRetry retries without practical limit and with short sleeps, so that 100 writers on one document all
// get through in a test.
var fastRetry = &occ.Retry{MaxRetries: 100000, Base: time.Millisecond, Factor: 1.5, Max: 20 * time.Millisecond}

// TestLostUpdate is seed 002's scenario: 100 concurrent users each add 1 to a counter. All read before any
// writes (a barrier), so the outcome of the first two modes is exact, not a matter of scheduling.
func TestLostUpdate(t *testing.T) {
	const users = 100
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		start := func(t *testing.T, name string) *occ.Collection {
			c := newCollection(t, b, name, &occ.Options{Retry: fastRetry})
			if _, err := c.Insert(ctx, counter{ID: "c"}); err != nil {
				t.Fatal(err)
			}
			return c
		}
		final := func(t *testing.T, c *occ.Collection) counter {
			var got counter
			doc, _, err := c.FindByID(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			if err := bson.Unmarshal(doc, &got); err != nil {
				t.Fatal(err)
			}
			return got
		}
		// readAll has every user read the counter, then returns once all have read.
		readAll := func(t *testing.T, c *occ.Collection, write func(read counter)) {
			var readers, done sync.WaitGroup
			readers.Add(users)
			for range users {
				done.Add(1)
				go func() {
					defer done.Done()
					var d counter
					doc, _, err := c.FindByID(ctx, "c")
					if err == nil {
						err = bson.Unmarshal(doc, &d)
					}
					readers.Done()
					readers.Wait()
					if err != nil {
						t.Error(err)
						return
					}
					write(d)
				}()
			}
			done.Wait()
		}

		t.Run("naive_read_modify_write_loses_updates", func(t *testing.T) {
			c := start(t, "naive")
			readAll(t, c, func(d counter) {
				if _, err := c.Unversioned().UpdateOne(ctx, id("c"), set("n", d.N+1), nil); err != nil {
					t.Error(err)
				}
			})
			got := final(t, c)
			lost := users - got.N
			t.Logf("%s: %d of %d increments lost", b.Name, lost, users)
			if lost != users-1 {
				t.Errorf("final %d: %d updates lost, want %d (every user wrote 0+1)", got.N, lost, users-1)
			}
		})

		t.Run("versioned_without_retry_reports_every_failure", func(t *testing.T) {
			c := start(t, "noretry")
			var saved, conflicts atomic.Int64
			readAll(t, c, func(d counter) {
				_, err := c.UpdateOne(ctx, "c", d.Version, set("n", d.N+1))
				switch {
				case err == nil:
					saved.Add(1)
				case errors.Is(err, occ.ErrConflict):
					conflicts.Add(1)
				default:
					t.Error(err)
				}
			})
			got := final(t, c)
			if got.N != saved.Load() || saved.Load()+conflicts.Load() != users || got.Version != 1+saved.Load() {
				t.Errorf("final %+v after %d saves and %d conflicts: want n = saves, version = 1 + saves, saves + conflicts = %d",
					got, saved.Load(), conflicts.Load(), users)
			}
			if saved.Load() != 1 {
				t.Errorf("%d saves from the same version, want exactly 1", saved.Load())
			}
			if m := c.Metrics().Collection(c.Namespace()); m.Conflicts != conflicts.Load() {
				t.Errorf("metrics count %d conflicts, callers saw %d", m.Conflicts, conflicts.Load())
			}
		})

		t.Run("versioned_with_retry_loses_nothing", func(t *testing.T) {
			c := start(t, "retry")
			var attempts atomic.Int64
			var wg sync.WaitGroup
			for range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := occ.Modify(ctx, c, "c", func(d *counter) error { d.N++; return nil })
					if err != nil {
						t.Error(err)
					}
					attempts.Add(int64(res.Attempts))
				}()
			}
			wg.Wait()
			got := final(t, c)
			if got.N != users || got.Version != users+1 {
				t.Errorf("final %+v, want n %d and version %d", got, users, users+1)
			}
			m := c.Metrics().Collection(c.Namespace())
			if m.Retries != attempts.Load()-users || m.RetriesExhausted != 0 {
				t.Errorf("metrics %+v, callers made %d attempts for %d saves", m, attempts.Load(), users)
			}
			t.Logf("%s: %d attempts for %d saves", b.Name, attempts.Load(), users)
		})
	})
}

// TestModify_SendsOnlyChangedFields: a field another writer sets between Modify's read and its write survives,
// and so does a field the caller's type does not hold.
func TestModify_SendsOnlyChangedFields(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := newCollection(t, b, "partial", &occ.Options{Retry: occ.NoRetry})
		if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: "c"}, {Key: "n", Value: int64(0)}, {Key: "extra", Value: "kept"},
			{Key: "sub", Value: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}}}); err != nil {
			t.Fatal(err)
		}
		type view struct {
			ID  string `bson:"_id"`
			N   int64  `bson:"n"`
			Sub bson.D `bson:"sub"`
		}
		res, err := occ.Modify(ctx, c, "c", func(v *view) error {
			// An unversioned writer sets sub.b meanwhile: the version does not move, so only the diff protects it.
			if _, err := c.Unversioned().UpdateOne(ctx, id("c"), set("sub.b", 2), nil); err != nil {
				return err
			}
			v.N = 5
			v.Sub[0].Value = int32(7)
			return nil
		})
		if err != nil || res.NewVersion != 2 {
			t.Fatalf("Modify: %+v, %v", res, err)
		}
		doc, _, _ := c.FindByID(ctx, "c")
		if doc.Lookup("n").Int64() != 5 || doc.Lookup("extra").StringValue() != "kept" ||
			doc.Lookup("sub", "a").Int32() != 7 || doc.Lookup("sub", "b").Int32() != 2 {
			t.Errorf("after Modify: %v, want n 5, extra kept, sub {a: 7, b: 2}", doc)
		}
		res, err = occ.Modify(ctx, c, "c", func(v *view) error { return nil })
		if err != nil || res.NewVersion != 2 {
			t.Errorf("Modify changing nothing: %+v, %v, want no write (version 2)", res, err)
		}
	})
}

// TestModify_FieldLevel: two writers edit different fields of one document from the same base. With the
// version checked the second conflicts and retries; with field-level checking both succeed at the first
// attempt. Editing the same field conflicts in both modes and reports the path.
func TestModify_FieldLevel(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		for _, fieldLevel := range []bool{false, true} {
			c := newCollection(t, b, "fieldlevel", &occ.Options{FieldLevel: fieldLevel, Retry: occ.NoRetry})
			_, _ = c.Unversioned().DeleteMany(ctx, nil)
			if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 0}, {Key: "b", Value: 0}, {Key: "tags", Value: bson.A{"x"}}}); err != nil {
				t.Fatal(err)
			}
			edit := func(field string, v any, inside func() error) error {
				_, err := occ.Modify(ctx, c, 1, func(d *bson.D) error {
					if inside != nil {
						if err := inside(); err != nil {
							return err
						}
					}
					for i := range *d {
						if (*d)[i].Key == field {
							(*d)[i].Value = v
						}
					}
					return nil
				})
				return err
			}
			// b is edited by another writer between this Modify's read and its write.
			err := edit("a", 1, func() error { return edit("b", 1, nil) })
			if fieldLevel && err != nil {
				t.Errorf("field-level, different fields: %v, want success", err)
			}
			if !fieldLevel && !errors.Is(err, occ.ErrConflict) {
				t.Errorf("version check, different fields: %v, want a conflict", err)
			}
			err = edit("tags", bson.A{"y"}, func() error { return edit("tags", bson.A{"z"}, nil) })
			var ce *occ.ConflictError
			if !errors.As(err, &ce) || len(ce.Paths) != 1 || ce.Paths[0] != "tags" {
				t.Errorf("field-level %v, same field: %v, want a conflict on tags", fieldLevel, err)
			}
		}
	})
}

// TestRetry_Exhausted: a function that always conflicts runs 1 + MaxRetries times, and the error says both
// that retries ran out and what the last conflict was.
func TestRetry_Exhausted(t *testing.T) {
	m := &occ.Metrics{}
	r := &occ.Retry{MaxRetries: 2, Base: time.Microsecond}
	n, err := r.Do(context.Background(), m, "db.c", func(context.Context) error {
		return &occ.ConflictError{Collection: "db.c", ID: 1, Expected: 1, Current: 2}
	})
	if n != 3 || !errors.Is(err, occ.ErrRetriesExhausted) || !errors.Is(err, occ.ErrConflict) {
		t.Fatalf("Do: %d attempts, %v", n, err)
	}
	if got := m.Collection("db.c"); got.Retries != 2 || got.RetriesExhausted != 1 {
		t.Errorf("metrics %+v", got)
	}
	n, err = r.Do(context.Background(), m, "db.c", func(context.Context) error { return errors.New("boom") })
	if n != 1 || err == nil || errors.Is(err, occ.ErrRetriesExhausted) {
		t.Errorf("a non-retryable error: %d attempts, %v, want 1 and the error as is", n, err)
	}
}

// TestRetry_Backoff: the sleep grows by Factor, stays under Max, and is jittered within [d/2, d).
func TestRetry_Backoff(t *testing.T) {
	r := &occ.Retry{}
	for n, want := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second} {
		for range 50 {
			if d := r.Backoff(n); d < want/2 || d >= want {
				t.Fatalf("Backoff(%d) = %v, want in [%v, %v)", n, d, want/2, want)
			}
		}
	}
}
