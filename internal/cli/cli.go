// Package cli implements concord's subcommands, one file per subcommand. cmd/concord only calls Main.
package cli

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// subcommands is the one table of subcommands: name -> entry point taking the arguments after the name.
var subcommands = map[string]struct {
	run   func(args []string) error
	brief string
}{
	"bench": {Bench, "measure Concord beside PostgreSQL (hot document, spread updates, transfers)"},
	"demo":  {Demo, "show lost updates and write conflicts happen (lost-update, conflicts)"},
	"serve": {Serve, "serve the embedded engine over the MongoDB wire protocol"},
	"stat":  {Stat, "a live table of a server's operations, conflicts, waits and transactions (mongostat-like)"},
	"sql":   {SQL, "serve SQL (the PostgreSQL protocol) in front of any MongoDB deployment (--mongodb-uri)"},
	"soak":  {Soak, "SIGKILL and restart a server under load again and again, then check every acknowledged write"},
}

// Main runs the subcommand named by args[0] and returns the process exit code.
func Main(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(os.Stdout)
		return 0
	}
	sub, ok := subcommands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "concord: unknown command %q\n\n", args[0])
		usage(os.Stderr)
		return 2
	}
	if err := sub.run(args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "concord %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: concord <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, subcommands[n].brief)
	}
	fmt.Fprintln(w, "\nRun 'concord <command> -h' for the command's flags.")
}
