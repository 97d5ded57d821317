package concord_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLayers enforces the dependency rule of docs (architecture): dependencies point down only. The root package
// never imports an adapter, the engine and the query language never import the root, and wire and
// internal/encoder import nothing of Concord's. Only front ends (servers exposing a DB over a protocol, and the
// commands that wire them) import internal/frontend, and only the root and internal/frontend import
// internal/engineref, through which the root hands frontend its engine. Inside the query language each package
// imports only the query packages below it (queryLayers). The SQL front end (sql, pgserver) reaches data through
// the root package only.
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/concorddb/concord"
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, ":")
		imports[pkg] = strings.Fields(deps)
	}
	forbidden := map[string][]string{
		mod:                       {mod + "/server", mod + "/wire", mod + "/monitor", mod + "/internal/cli", mod + "/cmd/", mod + "/store", mod + "/occ", mod + "/atomicop", mod + "/repo", mod + "/lock", mod + "/merge", mod + "/sql", mod + "/pgserver"},
		mod + "/internal/engine":  {mod + "/server", mod + "/wire", mod + "/internal/cli"},
		mod + "/internal/codes":   {mod + "/"},
		mod + "/wire":             {mod + "/"},
		mod + "/internal/encoder": {mod + "/"},
		mod + "/server":           {mod + "/internal/engine", mod + "/monitor", mod + "/internal/cli"},
		// The HTTP adapter reads the root API (and internal/frontend); the server reaches it through hooks the CLI
		// wires.
		mod + "/monitor": {mod + "/internal/engine", mod + "/server", mod + "/wire", mod + "/internal/cli"},
		mod + "/auth":    {mod + "/internal/engine", mod + "/internal/frontend", mod + "/server", mod + "/wire", mod + "/internal/cli"},
		mod + "/certs":   {mod + "/"},
		// The checkers judge histories from any client; the soak drives a server only through the driver.
		mod + "/internal/checker": {mod + "/internal/engine", mod + "/server", mod + "/wire", mod + "/internal/cli"},
		mod + "/internal/soak":    {mod + "/internal/engine", mod + "/server", mod + "/wire", mod + "/internal/cli"},
		mod + "/sql":              {mod + "/internal/engine", mod + "/internal/query", mod + "/server", mod + "/wire", mod + "/pgserver", mod + "/internal/cli"},
		mod + "/pgserver":         {mod + "/internal/engine", mod + "/internal/query", mod + "/server", mod + "/wire", mod + "/internal/cli"},
	}
	// The toolkit reaches data through the root API or the driver only, so that the same code runs embedded and
	// against MongoDB; storetest alone starts an in-process server, as httptest does.
	for _, pkg := range []string{"/store", "/occ", "/atomicop", "/repo", "/lock", "/merge", "/store/storetest"} {
		bad := []string{mod + "/internal/", mod + "/wire", mod + "/cmd/"}
		if pkg != "/store/storetest" {
			bad = append(bad, mod+"/server")
		}
		forbidden[mod+pkg] = bad
	}
	if len(imports[mod]) == 0 {
		t.Fatalf("go list did not report the root package: %q", out)
	}
	for pkg, bad := range forbidden {
		for _, dep := range imports[pkg] {
			if pkg == mod+"/internal/engine" && dep == mod {
				t.Errorf("%s imports the root package", pkg)
			}
			for _, b := range bad {
				if strings.HasPrefix(dep, b) || dep == strings.TrimSuffix(b, "/") {
					t.Errorf("%s imports %s", pkg, dep)
				}
			}
		}
	}
	// importers lists, for the packages not every layer may use, the only packages allowed to import them. A new
	// front end (a PostgreSQL-protocol server, an HTTP metrics endpoint) adds itself to internal/frontend's list.
	importers := map[string][]string{
		mod + "/internal/frontend":  {mod + "/server", mod + "/monitor", mod + "/internal/cli"},
		mod + "/internal/engineref": {mod, mod + "/internal/frontend"},
	}
	for pkg, deps := range imports {
		for _, dep := range deps {
			allowed, restricted := importers[dep]
			if restricted && !slices.Contains(allowed, pkg) {
				t.Errorf("%s imports %s, which only %v may import", pkg, dep, allowed)
			}
		}
	}
	for _, pkg := range []string{mod + "/internal/engine", mod + "/internal/checker", mod + "/internal/soak"} {
		for _, dep := range imports[pkg] {
			if dep == mod {
				t.Errorf("%s imports the root package", pkg)
			}
		}
	}
	checkQueryLayers(t, mod, imports)
}

// queryLayers lists, for each package of the query language, the query packages it may import: value is the
// base, expressions sit on it, filters on expressions ($expr), and aggregation on everything. A package missing
// from this table fails the test, so a new one must take its place in the order.
var queryLayers = map[string][]string{
	"value":      {},
	"collation":  {}, // a string order (value.StringComparer) built on golang.org/x/text/collate
	"expr":       {"value"},
	"filter":     {"value", "expr"},
	"order":      {"value"},
	"projection": {"value", "expr", "filter"},
	"update":     {"value", "expr", "filter", "agg"}, // agg (and expr, for their scope) for pipeline-style updates
	"agg":        {"value", "expr", "filter", "order"},
}

// checkQueryLayers enforces queryLayers, and that nothing under internal/query imports the engine, the root
// package or an adapter: the query language is pure functions over BSON.
func checkQueryLayers(t *testing.T, mod string, imports map[string][]string) {
	t.Helper()
	prefix := mod + "/internal/query/"
	seen := 0
	for pkg, deps := range imports {
		name, ok := strings.CutPrefix(pkg, prefix)
		if !ok {
			if pkg == mod+"/internal/query" {
				t.Errorf("%s: the query language lives in its subpackages", pkg)
			}
			continue
		}
		seen++
		allowed, ok := queryLayers[name]
		if !ok {
			t.Errorf("%s is not in queryLayers", pkg)
			continue
		}
		for _, dep := range deps {
			switch {
			case dep == mod, strings.HasPrefix(dep, mod+"/internal/engine"), strings.HasPrefix(dep, mod+"/server"),
				strings.HasPrefix(dep, mod+"/wire"), strings.HasPrefix(dep, mod+"/internal/cli"):
				t.Errorf("%s imports %s", pkg, dep)
			case strings.HasPrefix(dep, prefix):
				if d := strings.TrimPrefix(dep, prefix); !slices.Contains(allowed, d) {
					t.Errorf("%s imports %s, which is not below it (queryLayers)", pkg, dep)
				}
			}
		}
	}
	if seen != len(queryLayers) {
		t.Errorf("go list reported %d query packages, queryLayers has %d", seen, len(queryLayers))
	}
}
