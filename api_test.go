package concord_test

import (
	"bytes"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"sort"
	"strings"
	"testing"
)

// apiFile lists the root package's exported API, one identifier a line, as go doc shows it.
const apiFile = "testdata/api.txt"

// TestAPI keeps the root package's exported API to what an embedding program uses: every exported constant,
// variable, function, type, method and struct field is listed in testdata/api.txt, and any change to that list
// fails here until the file is rewritten (go test -run TestAPI -rewrite) and the diff reviewed. Hooks that only
// a front end needs (counting commands, session records, uncounted bookkeeping) belong in internal/frontend,
// never here.
func TestAPI(t *testing.T) {
	got := exportedAPI(t, ".")
	for _, line := range strings.Split(got, "\n") {
		for _, hook := range frontendHooks {
			if strings.Contains(line, hook) {
				t.Errorf("the root package exports %q, a front end's hook: it belongs in internal/frontend", line)
			}
		}
	}
	if *rewrite {
		if err := os.WriteFile(apiFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(apiFile)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the root package's exported API differs from %s (go test -run TestAPI -rewrite, then review the diff):\n%s",
			apiFile, lineDiff(string(want), got))
	}
}

// frontendHooks are names that once made the root package's API and now live in internal/frontend.
var frontendHooks = []string{"RecordCommand", "RecordGetMore", "SessionRecord", "WithoutMetrics", "CountCommand", "CountGetMore"}

// exportedAPI returns the exported API of the package in dir (test files excluded), one sorted line per
// constant, variable, function, type, method and exported struct field.
func exportedAPI(t *testing.T, dir string) string {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 {
		t.Fatalf("%d packages in %s, want 1", len(pkgs), dir)
	}
	var files []*ast.File
	for _, p := range pkgs {
		for _, f := range p.Files {
			files = append(files, f)
		}
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/concorddb/concord")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	node := func(n any) string {
		var b bytes.Buffer
		if err := printer.Fprint(&b, fset, n); err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(b.String()), " ")
	}
	values := func(kind string, vs []*doc.Value) {
		for _, v := range vs {
			for _, name := range v.Names {
				if token.IsExported(name) {
					lines = append(lines, kind+" "+name)
				}
			}
		}
	}
	funcs := func(fs []*doc.Func) {
		for _, f := range fs {
			f.Decl.Doc, f.Decl.Body = nil, nil
			kind := "func "
			if f.Recv != "" {
				kind = "method "
			}
			lines = append(lines, kind+strings.TrimPrefix(node(f.Decl), "func "))
		}
	}
	values("const", p.Consts)
	values("var", p.Vars)
	funcs(p.Funcs)
	for _, typ := range p.Types {
		spec := typ.Decl.Specs[0].(*ast.TypeSpec)
		switch st := spec.Type.(type) {
		case *ast.StructType:
			lines = append(lines, "type "+typ.Name+" struct")
			for _, f := range st.Fields.List {
				for _, name := range f.Names {
					if token.IsExported(name.Name) {
						lines = append(lines, "field "+typ.Name+"."+name.Name+" "+node(f.Type))
					}
				}
			}
		default:
			assign := " "
			if spec.Assign.IsValid() {
				assign = " = "
			}
			lines = append(lines, "type "+typ.Name+assign+node(spec.Type))
		}
		values("const", typ.Consts)
		values("var", typ.Vars)
		funcs(typ.Funcs)
		funcs(typ.Methods)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
