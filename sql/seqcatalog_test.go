package sql

import "testing"

// TestQualifyNextval: the defaults pg_get_expr writes with public off the search path, as pg_dump restores them.
func TestQualifyNextval(t *testing.T) {
	for _, c := range []struct{ name, def, want string }{
		{"a serial column's default is qualified", "nextval('t_id_seq'::regclass)", "nextval('public.t_id_seq'::regclass)"},
		{"a default without the cast is qualified", "nextval('zseq')", "nextval('public.zseq')"},
		{"a quoted name keeps its quotes", `nextval('"T_id_seq"'::regclass)`, `nextval('public."T_id_seq"'::regclass)`},
		{"a qualified name stays as it is", "nextval('public.s'::regclass)", "nextval('public.s'::regclass)"},
		{"a default without nextval stays as it is", "'nextval'", "'nextval'"},
		{"every call in a default is qualified", "nextval('a') + nextval('b')", "nextval('public.a') + nextval('public.b')"},
	} {
		if got := qualifyNextval(c.def); got != c.want {
			t.Errorf("%s: qualifyNextval(%q) = %q, want %q", c.name, c.def, got, c.want)
		}
	}
}

// TestDefaultSequence: the sequence a column's default calls, which pg_depend shows the default depending on.
func TestDefaultSequence(t *testing.T) {
	for _, c := range []struct {
		name string
		col  column
		want string
	}{
		{"a serial column's is the sequence it owns", column{Default: "nextval('t_id_seq'::regclass)", Sequence: "t_id_seq"}, "t_id_seq"},
		{"a default calling another sequence names it", column{Default: "nextval('counter')"}, "counter"},
		{"a qualified name is the sequence's", column{Default: "nextval('public.counter'::regclass)"}, "counter"},
		{"a quoted name is unquoted", column{Default: `nextval('"Odd""Seq"'::regclass)`}, `Odd"Seq`},
		{"a constant default calls none", column{Default: "0"}, ""},
		{"no default calls none", column{}, ""},
	} {
		if got := defaultSequence(c.col); got != c.want {
			t.Errorf("%s: defaultSequence = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestQualifiedView: a view's query as pg_get_viewdef writes it with public off the search path.
func TestQualifiedView(t *testing.T) {
	for _, c := range []struct{ name, query, want string }{
		{"a table is qualified", "SELECT id FROM accounts WHERE balance > 100", "SELECT id FROM public.accounts WHERE balance > 100"},
		{"every table of a join is", "SELECT a.id FROM a JOIN b ON a.id = b.id", "SELECT a.id FROM public.a JOIN public.b ON a.id = b.id"},
		{"a WITH query's name is not", "WITH w AS (SELECT id FROM t) SELECT id FROM w",
			"WITH w AS (SELECT id FROM public.t) SELECT id FROM w"},
		{"a catalog is not", "SELECT relname FROM pg_class", "SELECT relname FROM pg_class"},
		{"a qualified name stays", "SELECT id FROM public.t", "SELECT id FROM public.t"},
	} {
		if got := qualifiedView(c.query); got != c.want {
			t.Errorf("%s: qualifiedView(%q) = %q, want %q", c.name, c.query, got, c.want)
		}
	}
}
