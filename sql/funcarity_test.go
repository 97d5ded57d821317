package sql_test

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestFuncs_AnyArity calls every function the SQL layer names in its sources with 0 to 4 arguments of several
// kinds (NULL, numbers, text, an array, a bytea, a timestamp, a jsonb): each call answers or fails with an error,
// and none may panic (a panic would fail the test and, on the server, end the connection).
func TestFuncs_AnyArity(t *testing.T) {
	names := map[string]bool{}
	quoted := regexp.MustCompile(`"([a-z_0-9]+)"`)
	caseLine := regexp.MustCompile(`^\s*case ("[a-z_0-9]+"(?:,\s*"[a-z_0-9]+")*,?)\s*:?\s*$`)
	for _, f := range []string{"funcs.go", "builtins.go", "bytea.go", "advisory.go", "fromfuncs.go", "jsonfuncs.go", "jsontext.go", "arrays.go", "textfuncs.go", "trigdeg.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(src), "\n") {
			if m := caseLine.FindStringSubmatch(line); m != nil {
				for _, q := range quoted.FindAllStringSubmatch(m[1], -1) {
					names[q[1]] = true
				}
			}
		}
	}
	for _, skip := range []string{"pg_sleep", "pg_sleep_for", "pg_sleep_until", "pg_advisory_lock", "pg_advisory_xact_lock"} { // they wait
		delete(names, skip)
	}
	if len(names) < 60 {
		t.Fatalf("found only %d function names in the sources", len(names))
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	s := openSession(t)
	run(t, s, "CREATE TABLE f (id int PRIMARY KEY)")
	args := []string{"NULL", "-1", "'x'", "ARRAY[1, 2]", `'\x00'::bytea`, "now()", `'{"a": 1}'::jsonb`, "1.5"}
	for _, name := range sorted {
		for n := 0; n <= 4; n++ {
			for _, a := range args {
				list := strings.TrimSuffix(strings.Repeat(a+", ", n), ", ")
				run(t, s, "SELECT "+name+"("+list+")")
			}
		}
	}
}
