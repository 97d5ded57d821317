package sql

import (
	"fmt"
	"testing"
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
