package concord

import (
	"github.com/concorddb/concord/internal/engine"
	"github.com/concorddb/concord/internal/engineref"
)

// init gives package frontend (through engineref) the engine behind a DB, so that the hooks only servers use
// live there instead of in this package's API.
func init() {
	engineref.Of = func(db any) (*engine.Engine, error) {
		d := db.(*DB)
		return d.eng, d.check()
	}
}
