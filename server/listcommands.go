package server

import (
	"context"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// handleListCommands answers listCommands: every command of the table, sorted by name, each with mongod's
// description fields. Test-only commands are listed only when they exist (Server.EnableTestCommands).
func handleListCommands(_ context.Context, s *Server, _ *Request) (bson.D, error) {
	names := make([]string, 0, len(commandIndex))
	for name, e := range commandIndex {
		if e.cmd.TestOnly && !s.EnableTestCommands {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	cmds := make(bson.D, 0, len(names))
	for _, name := range names {
		e := commandIndex[name]
		cmds = append(cmds, bson.E{Key: name, Value: bson.D{
			{Key: "help", Value: ""},
			{Key: "requiresAuth", Value: false},
			{Key: "secondaryOk", Value: true},
			{Key: "adminOnly", Value: name == "configureFailPoint" || name == "commitTransaction" || name == "abortTransaction"},
			{Key: "apiVersions", Value: bson.A{}},
			{Key: "deprecatedApiVersions", Value: bson.A{}},
			{Key: "inTransaction", Value: e.cmd.InTxn},
		}})
	}
	return bson.D{{Key: "commands", Value: cmds}}, nil
}
