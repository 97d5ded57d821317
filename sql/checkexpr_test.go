package sql

import (
	"regexp"
	"testing"
)

func TestEndOfText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`^a$`, `^a\z`},
		{`a$|b$`, `a\z|b\z`},
		{`a\$`, `a\$`},
		{`[$]$`, `[$]\z`},
		{`[]$]$`, `[]$]\z`},
		{`[^]$]x$`, `[^]$]x\z`},
		{`\\$`, `\\\z`},
	} {
		if got := endOfText(c.in); got != c.want {
			t.Errorf("endOfText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLikePattern(t *testing.T) {
	for _, c := range []struct {
		pattern, text string
		want          bool
	}{
		{"é", "é", true},
		{"h_llo", "héllo", true},
		{"a%", "a\nb", true},
		{"a_b", "a\nb", true},
		{`a\%`, "a%", true},
		{`a\%`, "ab", false},
		{`a\`, "a", false},
		{`a\`, `a\`, false},
		{"a.c", "abc", false},
		{"%(x)%", "(x)", true},
	} {
		re := regexp.MustCompile("(?s)" + likePattern(c.pattern))
		if got := re.MatchString(c.text); got != c.want {
			t.Errorf("%q LIKE %q = %v, want %v", c.text, c.pattern, got, c.want)
		}
	}
}
