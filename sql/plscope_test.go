package sql

import (
	"reflect"
	"testing"
)

func TestPLDeclSections(t *testing.T) {
	for _, c := range []struct {
		body string
		want [][]string
	}{
		{" BEGIN NULL; END ", [][]string{nil}},
		{" DECLARE x int := 1; y text; BEGIN NULL; END ", [][]string{{"x", "y"}}},
		{" DECLARE X int; \"Mixed\" int; BEGIN DECLARE z int; BEGIN END; END ", [][]string{{"x", "Mixed"}, {"z"}}},
		// ALIAS makes no variable; a cursor's arguments and query are one declaration.
		{" DECLARE c CURSOR (a int, b int) FOR SELECT a; v ALIAS FOR $1; w int; BEGIN END ", [][]string{{"c", "w"}}},
		// Quotes, comments and dollar quotes hide keywords and semicolons.
		{" DECLARE s text := 'begin; declare'; t text := E'\\' begin'; -- begin\n u text := $q$ BEGIN $q$; /* begin /* nested */ */ v int; BEGIN END ", [][]string{{"s", "t", "u", "v"}}},
		// Labels, a second DECLARE in one section, and a block without one.
		{" <<outer>> DECLARE a int; DECLARE b int; BEGIN <<inner>> BEGIN END; END ", [][]string{{"a", "b"}, nil}},
		{" DECLARE a int := (1); BEGIN FOR i IN 1..2 LOOP DECLARE c int := 0; BEGIN END; END LOOP; END ", [][]string{{"a"}, {"c"}}},
		// begin and declare as names, where no statement starts.
		{" DECLARE a int; BEGIN PERFORM 1 AS begin; SELECT declare INTO a FROM t; IF a THEN DECLARE b int; BEGIN END; END IF; END ", [][]string{{"a"}, {"b"}}},
	} {
		got, _, ok := plDeclSections(c.body)
		if !ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %q, %v; want %q", c.body, got, ok, c.want)
		}
	}
	for _, bad := range []string{" DECLARE s text := 'open", " /* open", ` DECLARE "open`, " DECLARE s text := $a$ open"} {
		if _, _, ok := plDeclSections(bad); ok {
			t.Errorf("%q: read, want not", bad)
		}
	}
}

// TestPLScopeBlocks checks the variables each block is given, and the fallback when the text's sections do not
// match the tree: every variable the outermost block's.
func TestPLScopeBlocks(t *testing.T) {
	f, err := plParse("DO $plpgsql$ DECLARE x int; BEGIN FOR i IN 1..2 LOOP DECLARE x int; y int; BEGIN NULL; END; END LOOP; END $plpgsql$")
	if err != nil {
		t.Fatal(err)
	}
	var blocks [][]string
	var walk func(list []*plStmt)
	walk = func(list []*plStmt) {
		for _, s := range list {
			if s.kind == "block" {
				var names []string
				for _, v := range s.decls {
					names = append(names, f.datums[v].name)
				}
				blocks = append(blocks, names)
			}
			walk(s.body)
		}
	}
	walk([]*plStmt{f.action})
	if want := [][]string{{"x"}, {"x", "y"}}; !reflect.DeepEqual(blocks, want) {
		t.Errorf("blocks' variables %q, want %q", blocks, want)
	}
	// A column named begin is a name to the scanner where a statement cannot start ...
	f, err = plParse("DO $plpgsql$ DECLARE x int; BEGIN PERFORM begin FROM (SELECT 1 AS begin) s; DECLARE y int; BEGIN NULL; END; END $plpgsql$")
	if err != nil {
		t.Fatal(err)
	}
	if inner := f.action.body[1]; len(f.action.decls) != 1 || inner.kind != "block" || len(inner.decls) != 1 {
		t.Errorf("a column named begin: outer block %v, inner %s %v; want one variable each", f.action.decls, inner.kind, inner.decls)
	}
	// ... but not after THEN, where a block may start: the sections do not match the tree.
	f, err = plParse("DO $plpgsql$ DECLARE x int; BEGIN PERFORM CASE WHEN true THEN begin END FROM (SELECT 1 AS begin) s; DECLARE y int; BEGIN NULL; END; END $plpgsql$")
	if err != nil {
		t.Fatal(err)
	}
	if inner := f.action.body[1]; len(f.action.decls) != 2 || inner.kind != "block" || inner.decls != nil {
		t.Errorf("unmatched sections: outer block %v, inner %s %v; want both variables the outer block's", f.action.decls, inner.kind, inner.decls)
	}
}

func FuzzPLDeclSections(f *testing.F) {
	for _, s := range []string{" DECLARE x int; BEGIN END ", "$a$ $a", "'", "/*/*", `"`, "DECLARE DECLARE BEGIN", "e'\\'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		blocks, _, ok := plDeclSections(body)
		if !ok && blocks != nil {
			t.Fatalf("not read, but blocks %q", blocks)
		}
	})
}
