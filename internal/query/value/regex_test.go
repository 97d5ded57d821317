package value_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

func TestCompileRegex(t *testing.T) {
	cases := []struct {
		pattern, options, input string
		want                    bool
	}{
		{"^ab", "", "abc", true},
		{"^AB", "i", "abc", true},
		{"^b", "m", "a\nb", true},
		{"a.b", "s", "a\nb", true},
		{"a.b", "", "a\nb", false},
		{"a b # comment", "x", "ab", true},
		{"foo(?=bar)", "", "foobar", true},
		{"foo(?!bar)", "", "foobar", false},
		{"(?<=x)y", "", "xy", true},
		{"(?<!x)y", "", "xy", false},
		{`(a)\1`, "", "aa", true},
		{"a++a", "", "aaa", false},
		{"(?>a+)a", "", "aaa", false},
		{"(?i)é", "", "É", true},
		{"c$", "", "abc\n", true},
		{`c\z`, "", "abc\n", false},
		{`c\Z`, "", "abc\n", true},
		{"[$]", "", "$", true},
	}
	for _, c := range cases {
		re, err := value.CompileRegex(c.pattern, c.options)
		if err != nil {
			t.Fatalf("CompileRegex(%q, %q): %v", c.pattern, c.options, err)
		}
		got, err := re.MatchString(c.input)
		if err != nil || got != c.want {
			t.Errorf("/%s/%s on %q = %v, %v; want %v", c.pattern, c.options, c.input, got, err, c.want)
		}
	}
	for _, bad := range []struct {
		pattern, options string
		code             codes.Code
	}{{"(", "", 51091}, {"(?<=a", "", 51091}, {"a", "q", 51108}, {"a\x00", "", 51091}} {
		if _, err := value.CompileRegex(bad.pattern, bad.options); codes.CodeOf(err) != bad.code {
			t.Errorf("CompileRegex(%q, %q) = %v, want code %d", bad.pattern, bad.options, err, bad.code)
		}
	}
}

// TestCompileRegex_HostilePatternStops checks that catastrophic
// backtracking ends in ErrRegexLimit rather than running on.
func TestCompileRegex_HostilePatternStops(t *testing.T) {
	re, err := value.CompileRegex("^(a+)+$", "")
	if err != nil {
		t.Fatal(err)
	}
	input := strings.Repeat("a", 200) + "b"
	if _, err := re.MatchString(input); !errors.Is(err, value.ErrRegexLimit) {
		t.Fatalf("MatchString = %v, want ErrRegexLimit", err)
	}
	if _, err := re.FindAllSubmatchIndex(input); !errors.Is(err, value.ErrRegexLimit) {
		t.Fatalf("FindAllSubmatchIndex = %v, want ErrRegexLimit", err)
	}
}

// TestRegex_FindOffsetsAreBytes checks that both engines report byte
// offsets, multi-byte characters included.
func TestRegex_FindOffsetsAreBytes(t *testing.T) {
	for _, pattern := range []string{"(é)(x)?", "(?<=a)(é)(x)?"} {
		re, err := value.CompileRegex(pattern, "")
		if err != nil {
			t.Fatal(err)
		}
		m, err := re.FindSubmatchIndex("aéb")
		if err != nil {
			t.Fatal(err)
		}
		want := []int{1, 3, 1, 3, -1, -1}
		if len(m) != len(want) {
			t.Fatalf("%s: %v, want %v", pattern, m, want)
		}
		for i := range want {
			if m[i] != want[i] {
				t.Fatalf("%s: %v, want %v", pattern, m, want)
			}
		}
	}
}
