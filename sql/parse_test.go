package sql

import (
	"fmt"
	"strings"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func TestStmtCache_Bounded(t *testing.T) {
	c := newStmtCache(4)
	first, err := c.parse("SELECT 0")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.parse("SELECT 0")
	if &first[0] != &again[0] {
		t.Fatal("a cached text was parsed again")
	}
	for i := 1; i < 10; i++ {
		if _, err := c.parse(fmt.Sprintf("SELECT %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.len(); n != 4 {
		t.Fatalf("cache holds %d texts, want 4", n)
	}
	if _, err := c.parse("SELEC"); AsError(err).Code != CodeSyntaxError || AsError(err).Position != 1 {
		t.Fatalf("syntax error: %#v", err)
	}
	if c.len() != 4 {
		t.Fatal("a failed parse was cached")
	}
}

// TestStmtCache_BoundedByBytes: a text longer than cacheTextMax is parsed each time and never kept, and the
// cached texts' total length stays within cacheBytesMax, the least recently used going first.
func TestStmtCache_BoundedByBytes(t *testing.T) {
	defer func(m, b int) { cacheTextMax, cacheBytesMax = m, b }(cacheTextMax, cacheBytesMax)
	cacheTextMax, cacheBytesMax = 100, 250
	c := newStmtCache(1024)
	long := "SELECT 1" + strings.Repeat(" ", 200)
	first, err := c.parse(long)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.parse(long)
	if c.len() != 0 || first[0] == again[0] {
		t.Fatalf("a %d-byte text was cached (%d texts)", len(long), c.len())
	}
	text := func(i int) string { return fmt.Sprintf("SELECT %d%s", i, strings.Repeat(" ", 90)) } // 99 or 100 bytes
	for i := range 3 {
		if _, err := c.parse(text(i)); err != nil {
			t.Fatal(err)
		}
	}
	if c.len() != 2 || c.bytes > 250 {
		t.Fatalf("cache holds %d texts, %d bytes; want 2 within 250", c.len(), c.bytes)
	}
	kept, _ := c.parse(text(2))
	again, _ = c.parse(text(2))
	if kept[0] != again[0] {
		t.Fatal("the most recent text was evicted")
	}
	c.mu.Lock()
	_, oldest := c.m[text(0)]
	c.mu.Unlock()
	if oldest {
		t.Fatal("the least recently used text was kept")
	}
}

func BenchmarkParse(b *testing.B) {
	const q = "UPDATE inventory SET quantity = quantity + $1, version = version + 1, last_modified = CURRENT_TIMESTAMP WHERE product_id = $2 AND quantity + $1 >= 0 AND quantity + $1 <= $3"
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := parse(q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := newStmtCache(16)
		b.ReportAllocs()
		for range b.N {
			if _, err := c.parse(q); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestWalkNoSub_SameAsReflection: walkNoSub's direct walk of common
// expression nodes visits the same nodes as the walk through protobuf
// reflection it shortcuts (whose order protobuf leaves undefined).
func TestWalkNoSub_SameAsReflection(t *testing.T) {
	for _, q := range []string{
		"UPDATE t SET n = n + $1, v = v + 1 WHERE id = $2 AND n + $1 >= 0 AND NOT (a IS NULL OR b <> 'x')",
		"SELECT a.b, t.* FROM t WHERE x IN (1, 2) AND y = ANY($1) AND z BETWEEN 1 AND 2 AND w LIKE 'a%'",
		"DELETE FROM t WHERE (SELECT max(n) FROM u WHERE u.id = t.id) > 3 OR coalesce(a, $1::int) = 1",
		"SELECT CASE WHEN n > 0 THEN -n ELSE n END, f(x, y => 2), ROW_NUMBER() OVER (PARTITION BY a) FROM t",
	} {
		stmts, err := parse(q)
		if err != nil {
			t.Fatal(err)
		}
		var fast, slow []*pg.Node
		walkNoSub(stmts[0].Stmt, func(n *pg.Node) bool { fast = append(fast, n); return false })
		walkReflect(stmts[0].Stmt, func(n *pg.Node) bool { slow = append(slow, n); return false })
		if len(fast) != len(slow) || len(fast) < 10 {
			t.Fatalf("%s: %d nodes visited, by reflection %d", q, len(fast), len(slow))
		}
		seen := map[*pg.Node]int{}
		for _, n := range slow {
			seen[n]++
		}
		for _, n := range fast {
			if seen[n]--; seen[n] < 0 {
				t.Fatalf("%s: %v visited more often than by reflection", q, n)
			}
		}
	}
}

// walkReflect is walkNoSub through protobuf reflection alone.
func walkReflect(n *pg.Node, fn func(*pg.Node) bool) bool {
	if n == nil {
		return false
	}
	if fn(n) {
		return true
	}
	if n.GetSubLink() != nil {
		return false
	}
	var children func(m protoreflect.Message) bool
	children = func(m protoreflect.Message) bool {
		found := false
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			visit := func(c protoreflect.Message) {
				if nn, ok := c.Interface().(*pg.Node); ok {
					found = walkReflect(nn, fn)
				} else {
					found = children(c)
				}
			}
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len() && !found; i++ {
					visit(v.List().Get(i).Message())
				}
			case fd.Message() != nil && !fd.IsMap():
				visit(v.Message())
			}
			return !found
		})
		return found
	}
	return children(n.ProtoReflect())
}
