package cli

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDemoLostUpdate_Output(t *testing.T) {
	_, c, _ := startServer(t)
	var out bytes.Buffer
	if err := demoLostUpdate(context.Background(), c, &out, 50); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	// The summary table: round, final, expected, lost, conflicts, retries.
	rows := map[string][]int{}
	re := regexp.MustCompile(`(?m)^\s*(naive read-modify-write|version field, no retry|version field with retry)((?:\s+\d+){5})\s*$`)
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		var nums []int
		for _, f := range strings.Fields(m[2]) {
			n, _ := strconv.Atoi(f)
			nums = append(nums, n)
		}
		rows[m[1]] = nums
	}
	if len(rows) != 3 {
		t.Fatalf("summary table not found:\n%s", text)
	}
	naive, noRetry, retry := rows["naive read-modify-write"], rows["version field, no retry"], rows["version field with retry"]
	if naive[0]+naive[2] != 50 || naive[2] == 0 {
		t.Errorf("naive round: final %d, lost %d; want some lost, adding up to 50", naive[0], naive[2])
	}
	if noRetry[0]+noRetry[3] != 50 || noRetry[2] != 0 {
		t.Errorf("no-retry round: final %d + conflicts %d != 50, or %d lost", noRetry[0], noRetry[3], noRetry[2])
	}
	if retry[0] != 50 || retry[2] != 0 {
		t.Errorf("retry round: final %d, lost %d", retry[0], retry[2])
	}
	if strings.Count(text, "\nyes  ") != 3 {
		t.Errorf("claims not all held:\n%s", text)
	}
}

func TestDemoConflicts_Output(t *testing.T) {
	_, c, _ := startServer(t)
	var out bytes.Buffer
	if err := demoConflicts(context.Background(), c, &out, 200*time.Millisecond); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	offset := func(pattern string) int {
		m := regexp.MustCompile(`\+\s*(\d+) ms  ` + pattern).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("no timeline line %q in:\n%s", pattern, text)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	bFail := offset(`B  transaction updates \{_id: 1\}: WriteConflict \(112\)`)
	commit := offset(`A  commits`)
	cDone := offset(`C  plain update returns after waiting`)
	if bFail > 50 || commit < 200 || cDone < commit {
		t.Errorf("timeline: B failed at +%d ms, A committed at +%d ms, C returned at +%d ms\n%s", bFail, commit, cDone, text)
	}
	for _, want := range []string{
		"metrics.operation.writeConflicts +2, concord.writeWaits +1; final qty 12",
		"WriteConflict\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "\nyes  ") != 5 || strings.Contains(text, "NO ") {
		t.Errorf("claims not all held:\n%s", text)
	}
}
