package engine

import (
	"strconv"
	"testing"
	"time"
)

func TestHotDocs_Decay(t *testing.T) {
	var hd hotDocs
	t0 := time.Unix(1000, 0)
	for i := 0; i < 8; i++ {
		hd.note("a", false, t0)
	}
	hd.note("b", true, t0)
	top := hd.top(2, t0.Add(hotHalfLife))
	if len(top) != 2 || top[0].key != "a" || top[0].conflicts != 4 || top[1].waits != 0.5 {
		t.Fatalf("after one half-life: %+v", top)
	}
	// A key that stops being contended is overtaken by one that goes on.
	t1 := t0.Add(5 * hotHalfLife)
	hd.note("b", true, t1)
	if top := hd.top(1, t1); top[0].key != "b" {
		t.Fatalf("after five half-lives the hottest is %q, want b", top[0].key)
	}
}

func TestHotDocs_SpaceSavingKeepsTheHeavyHitter(t *testing.T) {
	var hd hotDocs
	now := time.Unix(1000, 0)
	for i := 0; i < 100000; i++ {
		if i%20 == 0 {
			hd.note("hot", false, now)
			continue
		}
		hd.note("k"+strconv.Itoa(i), false, now)
	}
	if n := hd.len(); n != hotCapacity {
		t.Fatalf("%d keys tracked, want the bound %d", n, hotCapacity)
	}
	top := hd.top(1, now)
	if top[0].key != "hot" || top[0].totalConf != 5000 {
		t.Fatalf("top %+v, want hot with 5000", top[0])
	}
}
