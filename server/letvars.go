package server

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/frontend"
)

// commandVars returns ctx with the variables every expression of the command sees: $$NOW (the time the command
// started), $$CLUSTER_TIME (a cluster time handed out now, so earlier than the operationTime of the reply) and
// the command's let variables, evaluated once for all its statements. let must be an object (TypeMismatch, 14);
// null or absent means none. The other errors are frontend.WithLet's.
func (s *Server) commandVars(ctx context.Context, req *Request, a *cmdArgs) (context.Context, error) {
	ctx = frontend.WithCommandTime(ctx, time.Now(), s.clock.now())
	var let bson.Raw
	if v, ok := a.get("let"); ok && v.Type != bson.TypeNull {
		d, ok := v.DocumentOK()
		if !ok {
			return ctx, wrongType(a.cmd, "let", v, "type 'object'")
		}
		let = d
	}
	ctx, err := frontend.WithLet(ctx, let)
	return ctx, commandError(err)
}
