// Package auth holds Concord's users, their SCRAM credentials and MongoDB's built-in roles, for every network
// front end (the MongoDB port, the PostgreSQL port, the HTTP port). The embedded API needs none of it: it runs in
// the caller's process, with the caller's rights.
//
// Three pieces, each usable alone:
//
//   - Store keeps users in admin.system.users through the root API, in mongod's document shape, with salted
//     SCRAM-SHA-1 and SCRAM-SHA-256 credentials (never the password nor a reversible form of it).
//   - Conversation is the server side of one SCRAM exchange (github.com/xdg-go/scram), started with
//     Store.NewConversation (the user is named in the client's first message, as on the MongoDB port) or
//     Store.NewConversationFor (the user is known beforehand, as on the PostgreSQL port, whose client-first
//     message carries an empty name). A successful conversation yields the authenticated *User.
//   - Allowed decides whether a set of roles grants an Action on a Resource: a namespace (database and
//     collection), a whole database, or the cluster. Roles are MongoDB's built-in ones; custom roles (createRole)
//     do not exist yet.
//
// How a front end uses it:
//
//	store := auth.NewStore(db)
//	conv, err := store.NewConversationFor(ctx, auth.SCRAMSHA256, auth.UserName{User: name, DB: "admin"})
//	for !conv.Done() { out, err := conv.Step(in); ... } // relay the SCRAM messages of the protocol
//	user := conv.User()                                 // nil unless the conversation succeeded
//	if !auth.Allowed(user.Roles, auth.Namespace("shop", "orders"), auth.ActionFind) { ... refuse ... }
//
// A password checked outside SCRAM (HTTP basic auth) goes through Store.Verify, which recomputes the SCRAM-SHA-256
// keys from the salt and compares them in constant time.
//
// Roles change while users are connected: Store.Generation increases on every change to a user, so a front end
// that cached a user's roles reloads them when the generation moved (see Store.User).
package auth
