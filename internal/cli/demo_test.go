package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestDemo_LostUpdate: the demo's naive mode loses updates, the versioned one without retry saves exactly one
// (every user read the same version), and the one with retry saves them all.
func TestDemo_LostUpdate(t *testing.T) {
	var out bytes.Buffer
	if err := demo(&out, []string{"lost-update", "--users", "20"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("output:\n%s", out.String())
	}
	for i, want := range []string{
		`naive +final +1  lost +19  saved +20  conflicts +0 `,
		`versioned, no retry +final +1  lost +0  saved +1  conflicts +19 `,
		`versioned, with retry +final +20  lost +0  saved +20  conflicts +0 `,
	} {
		if !regexp.MustCompile(want).MatchString(lines[i+1]) {
			t.Errorf("line %q does not match %q", lines[i+1], want)
		}
	}
}
