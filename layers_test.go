package concord_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayers enforces the dependency rule of docs (architecture): dependencies point down only. The root package
// never imports an adapter, the monitor (HTTP) adapter reaches the database through the root API only, the engine and the query language never import the root, and wire imports nothing
// of Concord's.
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
		mod:                      {mod + "/server", mod + "/wire", mod + "/monitor", mod + "/internal/cli", mod + "/cmd/"},
		mod + "/internal/engine": {mod + "/server", mod + "/wire", mod + "/internal/cli"},
		mod + "/internal/query":  {mod + "/internal/engine", mod + "/server", mod + "/wire", mod + "/internal/cli"},
		mod + "/internal/codes":  {mod + "/"},
		mod + "/wire":            {mod + "/"},
		mod + "/server":          {mod + "/internal/engine", mod + "/monitor", mod + "/internal/cli"},
		// The HTTP adapter reads the root API only; the server reaches it through hooks wired by the CLI.
		mod + "/monitor": {mod + "/internal/", mod + "/server", mod + "/wire"},
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
