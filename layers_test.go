package concord_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayers enforces the dependency rule of docs (architecture): dependencies point down only. The root package
// never imports an adapter, the engine and the query language never import the root, wire imports nothing
// of Concord's, and the SQL front end (sql, pgserver) reaches data through the root package only.
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
		mod:                      {mod + "/server", mod + "/wire", mod + "/internal/cli", mod + "/cmd/", mod + "/sql", mod + "/pgserver"},
		mod + "/internal/engine": {mod + "/server", mod + "/wire", mod + "/internal/cli"},
		mod + "/internal/query":  {mod + "/internal/engine", mod + "/server", mod + "/wire", mod + "/internal/cli"},
		mod + "/internal/codes":  {mod + "/"},
		mod + "/wire":            {mod + "/"},
		mod + "/server":          {mod + "/internal/engine", mod + "/internal/cli"},
		mod + "/sql":             {mod + "/internal/engine", mod + "/internal/query", mod + "/server", mod + "/wire", mod + "/pgserver", mod + "/internal/cli"},
		mod + "/pgserver":        {mod + "/internal/engine", mod + "/internal/query", mod + "/server", mod + "/wire", mod + "/internal/cli"},
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
	for _, pkg := range []string{mod + "/internal/engine", mod + "/internal/query"} {
		for _, dep := range imports[pkg] {
			if dep == mod {
				t.Errorf("%s imports the root package", pkg)
			}
		}
	}
}
