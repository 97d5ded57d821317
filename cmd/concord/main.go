// Command concord runs the Concord document database: `concord serve` speaks the MongoDB wire protocol over the
// embedded engine, `concord bench` measures it beside PostgreSQL.
package main

import (
	"os"

	"github.com/concorddb/concord/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
