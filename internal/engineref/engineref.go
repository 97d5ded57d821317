// Package engineref hands the engine behind a *concord.DB to package frontend without the root package
// exporting it. frontend imports the root, so the root cannot call into frontend; instead the root sets Of when
// it is initialised, and frontend calls it. It holds nothing else.
package engineref

import "github.com/concorddb/concord/internal/engine"

// Of returns the engine of db, which must be a *concord.DB (anything else panics), or concord.ErrClosed after
// the DB's Close. It is set by the root package's initialisation, which runs before any caller can hold a
// *concord.DB.
var Of func(db any) (*engine.Engine, error)
