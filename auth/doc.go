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
//     do not exist yet. Compile turns a user's roles into Privileges, which answer the same question per command
//     in a few comparisons without allocating: the MongoDB port compiles them once per authenticated connection.
//
// How a front end uses it:
//
//	store := auth.NewStore(db)
//	conv, err := store.NewConversationFor(ctx, auth.SCRAMSHA256, auth.UserName{User: name, DB: "admin"})
//	for !conv.Done() { out, err := conv.Step(in); ... } // relay the SCRAM messages of the protocol
//	user := conv.User()                                 // nil unless the conversation succeeded
//	if !auth.Allowed(user.Roles, auth.Namespace("shop", "orders"), auth.ActionFind) { ... refuse ... }
//
// The PostgreSQL port advertises SCRAM-SHA-256 in AuthenticationSASL (not the -PLUS variant: no channel binding),
// starts NewConversationFor with the startup message's user (in admin, or the database the port maps users to),
// relays SASLInitialResponse and SASLResponse into Step and answers a failure with 28P01. A SCRAM-SHA-256
// credential is the same for both protocols (the salted SASLprep form of the password), so one user logs in on
// either port. Tables are collections: Allowed(roles, Namespace(db, table), ActionFind) before a SELECT, and
// ActionInsert, ActionUpdate, ActionRemove before the writes.
//
// The HTTP port checks basic auth with Store.Verify, which recomputes the SCRAM-SHA-256 keys from the stored
// salt and compares them in constant time, then requires Allowed(user.Roles, Cluster, ActionServerStatus) (held
// by clusterMonitor, clusterAdmin and root) for /metrics and the dashboard.
//
// Roles change while users are connected: Store.Generation increases on every change to a user, so a front end
// that cached a user's roles (or their compiled Privileges) reloads them when the generation moved (see
// Store.User).
package auth
