package server

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/auth"
)

// need is one privilege a command requires: an action on a resource.
type need struct {
	res auth.Resource
	act auth.Action
}

// needsFunc appends the privileges a command needs, read from its request, to dst. It never fails: a command
// whose target cannot be read needs the action on its whole database, and the handler then reports the
// malformed argument to whoever is allowed to send it. The data commands walk the request without allocating.
type needsFunc func(dst []need, req *Request) []need

// commandPrivileges is the one table of access control: every command that needs more than an authenticated
// user, and the privileges it needs, as mongod's commands declare them. preAuthCommands need nothing;
// authOnlyCommands need a user and nothing more. TestCommandPrivileges checks that every command of the
// command table is in exactly one of the three.
var commandPrivileges = map[string]needsFunc{
	"aggregate":                      aggregateNeeds,
	"collMod":                        onCollection(auth.ActionCollMod),
	"collStats":                      onCollection(auth.ActionCollStats),
	"compact":                        onCollection(auth.ActionCompact),
	"connPoolStats":                  onCluster(auth.ActionConnPoolStats),
	"dataSize":                       dataSizeNeeds,
	"fsync":                          onCluster(auth.ActionFsync),
	"fsyncUnlock":                    onCluster(auth.ActionUnlock),
	"logRotate":                      onCluster(auth.ActionLogRotate),
	"setFeatureCompatibilityVersion": onCluster(auth.ActionSetFCV),
	"top":                            onCluster(auth.ActionTop),
	"validate":                       onCollection(auth.ActionValidate),
	"count":                          onCollection(auth.ActionFind),
	"create":                         onCollection(auth.ActionCreateCollection),
	"createIndexes":                  onCollection(auth.ActionCreateIndex),
	"createUser":                     createUserNeeds,
	"currentOp":                      onCluster(auth.ActionInprog),
	"dbStats":                        onDatabase(auth.ActionDBStats),
	"delete":                         onCollection(auth.ActionRemove),
	"distinct":                       onCollection(auth.ActionFind),
	"drop":                           onCollection(auth.ActionDropCollection),
	"dropAllUsersFromDatabase":       onDatabase(auth.ActionDropUser),
	"dropDatabase":                   onDatabase(auth.ActionDropDatabase),
	"dropIndexes":                    onCollection(auth.ActionDropIndex),
	"dropUser":                       onDatabase(auth.ActionDropUser),
	"find":                           onCollection(auth.ActionFind),
	"findAndModify":                  findAndModifyNeeds,
	"findandmodify":                  findAndModifyNeeds,
	"getCmdLineOpts":                 onCluster(auth.ActionGetCmdLineOpts),
	"getLog":                         onCluster(auth.ActionGetLog),
	"getMore":                        getMoreNeeds,
	"getParameter":                   onCluster(auth.ActionGetParameter),
	"grantRolesToUser":               rolesNeeds(auth.ActionGrantRole),
	"hostInfo":                       onCluster(auth.ActionHostInfo),
	"insert":                         onCollection(auth.ActionInsert),
	"killAllSessions":                onCluster(auth.ActionKillAnySession),
	"killCursors":                    onCollection(auth.ActionKillCursors),
	"killOp":                         onCluster(auth.ActionKillop),
	"listCollections":                onDatabase(auth.ActionListCollections),
	"listDatabases":                  onCluster(auth.ActionListDatabases),
	"listIndexes":                    onCollection(auth.ActionListIndexes),
	"profile":                        onDatabase(auth.ActionEnableProfiler),
	"renameCollection":               renameNeeds,
	"replSetGetStatus":               onCluster(auth.ActionReplSetGetStatus),
	"revokeRolesFromUser":            rolesNeeds(auth.ActionRevokeRole),
	"serverStatus":                   onCluster(auth.ActionServerStatus),
	"setParameter":                   onCluster(auth.ActionSetParameter),
	"update":                         updateNeeds,
	"updateUser":                     updateUserNeeds,
	"usersInfo":                      usersInfoNeeds,
	"createSearchIndexes":            onCollection(auth.ActionCreateIndex),
	"dropSearchIndex":                onCollection(auth.ActionDropIndex),
	"updateSearchIndex":              onCollection(auth.ActionCreateIndex),
}

// authOnlyCommands need an authenticated user and no privilege: a user always may end its own sessions and
// transactions (mongod ties them to the user), ask for its own address and list the commands; configureFailPoint
// exists only with --enable-test-commands, which no production server runs.
var authOnlyCommands = map[string]bool{
	"abortTransaction":   true,
	"commitTransaction":  true,
	"configureFailPoint": true,
	"listCommands":       true,
	"endSessions":        true,
	"killSessions":       true,
	"whatsmyuri":         true,
}

// commandAccess is how access control treats a command, looked up once per command name at init (the
// command's entry in commandIndex) rather than in the maps above for every request.
type commandAccess struct {
	// preAuth is set for preAuthCommands.
	preAuth bool
	// needs computes the privileges the command needs (commandPrivileges); nil for preAuthCommands and
	// authOnlyCommands.
	needs needsFunc
	// ceiling are the actions of needsCeiling: held on the command's namespace, they cover whatever needs
	// computes.
	ceiling []auth.Action
}

// commandAccessOf returns the access of the command called name.
func commandAccessOf(name string) commandAccess {
	return commandAccess{preAuth: preAuthCommands[name], needs: commandPrivileges[name], ceiling: needsCeiling[name]}
}

// needsCeiling lists, for commands whose needs depend on more of the request than its namespace, actions on the
// namespace (commandNamespace) that cover every privilege the command can need, whatever its arguments: a client
// holding all of them there is authorized without computing the exact needs, which would walk the request (an
// update's statements, looking for an upsert). The decision is the same either way; TestNeedsCeiling checks
// that every need of these commands is one of these actions on that namespace.
var needsCeiling = map[string][]auth.Action{
	"update":        {auth.ActionUpdate, auth.ActionInsert},
	"findAndModify": {auth.ActionFind, auth.ActionUpdate, auth.ActionInsert, auth.ActionRemove},
	"findandmodify": {auth.ActionFind, auth.ActionUpdate, auth.ActionInsert, auth.ActionRemove},
}

// holdsCeiling reports whether privs grant every action of the command's needsCeiling on its namespace.
func holdsCeiling(privs *auth.Privileges, acc commandAccess, req *Request) bool {
	if len(acc.ceiling) == 0 {
		return false
	}
	return privs.AllowedAll(commandNamespace(req), acc.ceiling)
}

func onCluster(act auth.Action) needsFunc {
	return func(dst []need, _ *Request) []need { return append(dst, need{auth.Cluster, act}) }
}

func onDatabase(act auth.Action) needsFunc {
	return func(dst []need, req *Request) []need { return append(dst, need{auth.Database(req.DB), act}) }
}

func onCollection(act auth.Action) needsFunc {
	return func(dst []need, req *Request) []need { return append(dst, need{commandNamespace(req), act}) }
}

// commandNamespace is the namespace named by the command's first field, or the whole database when that is not
// a collection name.
func commandNamespace(req *Request) auth.Resource {
	it := newElemIter(req.Body)
	if _, v, ok := it.next(); ok {
		if coll, ok := internString(v); ok && coll != "" {
			return auth.Namespace(req.DB, coll)
		}
	}
	return auth.Database(req.DB)
}

// explainNeeds: what the explained command needs, as mongod checks (a write's explain needs the write's
// privileges though it writes nothing). A malformed inner command needs find on the database.
func explainNeeds(dst []need, req *Request) []need {
	inner, ok := req.Body.Lookup("explain").DocumentOK()
	if ok {
		if f, err := inner.IndexErr(0); err == nil {
			if needs, ok := commandPrivileges[f.Key()]; ok && explainable[f.Key()] {
				return needs(dst, &Request{Name: f.Key(), DB: req.DB, Body: inner})
			}
		}
	}
	return append(dst, need{auth.Database(req.DB), auth.ActionFind})
}

// updateNeeds: update, and insert when a statement upserts.
func updateNeeds(dst []need, req *Request) []need {
	res := commandNamespace(req)
	dst = append(dst, need{res, auth.ActionUpdate})
	if arr, ok := lookupField(req.Body, "updates").ArrayOK(); ok {
		it := newElemIter(arr)
		for _, v, ok := it.next(); ok; _, v, ok = it.next() {
			if d, ok := v.DocumentOK(); ok {
				if up, _ := lookupField(d, "upsert").BooleanOK(); up {
					return append(dst, need{res, auth.ActionInsert})
				}
			}
		}
	}
	return dst
}

// findAndModifyNeeds: find and remove, or find and update (and insert when it upserts).
func findAndModifyNeeds(dst []need, req *Request) []need {
	res := commandNamespace(req)
	dst = append(dst, need{res, auth.ActionFind})
	if rm, _ := lookupField(req.Body, "remove").BooleanOK(); rm {
		return append(dst, need{res, auth.ActionRemove})
	}
	dst = append(dst, need{res, auth.ActionUpdate})
	if up, _ := lookupField(req.Body, "upsert").BooleanOK(); up {
		dst = append(dst, need{res, auth.ActionInsert})
	}
	return dst
}

// dataSizeNeeds: find on the namespace the command names in full ("<db>.<coll>").
func dataSizeNeeds(dst []need, req *Request) []need {
	full, _ := req.Body.Lookup("dataSize").StringValueOK()
	if db, coll, ok := strings.Cut(full, "."); ok && db != "" && coll != "" {
		return append(dst, need{auth.Namespace(db, coll), auth.ActionFind})
	}
	return append(dst, need{auth.Database(req.DB), auth.ActionFind})
}

// getMoreNeeds: find on the cursor's collection.
func getMoreNeeds(dst []need, req *Request) []need {
	if coll, ok := internString(lookupField(req.Body, "collection")); ok && coll != "" {
		return append(dst, need{auth.Namespace(req.DB, coll), auth.ActionFind})
	}
	return append(dst, need{auth.Database(req.DB), auth.ActionFind})
}

// aggregateNeeds: find on the collection aggregated, find on every collection a stage reads ($lookup,
// $graphLookup, $unionWith, in nested pipelines too), insert and remove on $out's target, insert and update on
// $merge's; a collection-less aggregate with $currentOp needs inprog.
func aggregateNeeds(n []need, req *Request) []need {
	start := len(n)
	if res := commandNamespace(req); res.Collection != "" {
		action := auth.ActionFind
		if p, ok := lookupField(req.Body, "pipeline").ArrayOK(); ok {
			if v, err := p.IndexErr(0); err == nil {
				if first, ok := v.DocumentOK(); ok {
					if _, err := first.LookupErr("$indexStats"); err == nil {
						action = auth.ActionIndexStats // as mongod: $indexStats needs indexStats, not find
					}
				}
			}
		}
		n = append(n, need{res, action})
	}
	if p, ok := lookupField(req.Body, "pipeline").ArrayOK(); ok {
		n = pipelineNeeds(n, req.DB, p, 0)
	}
	if len(n) == start {
		n = append(n, need{auth.Database(req.DB), auth.ActionFind})
	}
	return n
}

// maxPipelineDepth bounds the walk of nested pipelines; deeper ones need find on the whole database.
const maxPipelineDepth = 20

func pipelineNeeds(n []need, db string, p bson.RawArray, depth int) []need {
	if depth > maxPipelineDepth {
		return append(n, need{auth.Database(db), auth.ActionFind})
	}
	stages, _ := p.Values()
	for _, st := range stages {
		d, ok := st.DocumentOK()
		if !ok {
			continue
		}
		e, err := d.IndexErr(0)
		if err != nil {
			continue
		}
		v := e.Value()
		spec, _ := v.DocumentOK()
		switch e.Key() {
		case "$lookup", "$graphLookup":
			if from, ok := spec.Lookup("from").StringValueOK(); ok {
				n = append(n, need{auth.Namespace(db, from), auth.ActionFind})
			}
			if sub, ok := spec.Lookup("pipeline").ArrayOK(); ok {
				n = pipelineNeeds(n, db, sub, depth+1)
			}
		case "$unionWith":
			if coll, ok := v.StringValueOK(); ok {
				n = append(n, need{auth.Namespace(db, coll), auth.ActionFind})
			}
			if coll, ok := spec.Lookup("coll").StringValueOK(); ok {
				n = append(n, need{auth.Namespace(db, coll), auth.ActionFind})
			}
			if sub, ok := spec.Lookup("pipeline").ArrayOK(); ok {
				n = pipelineNeeds(n, db, sub, depth+1)
			}
		case "$facet":
			elems, _ := spec.Elements()
			for _, f := range elems {
				if sub, ok := f.Value().ArrayOK(); ok {
					n = pipelineNeeds(n, db, sub, depth+1)
				}
			}
		case "$out":
			t := outResource(db, v)
			n = append(n, need{t, auth.ActionInsert}, need{t, auth.ActionRemove})
		case "$merge":
			into := v
			if spec != nil {
				into = spec.Lookup("into")
			}
			t := outResource(db, into)
			n = append(n, need{t, auth.ActionInsert}, need{t, auth.ActionUpdate})
		case "$currentOp":
			n = append(n, need{auth.Cluster, auth.ActionInprog})
		}
	}
	return n
}

// outResource reads the target of $out or $merge's into: a collection name, or {db, coll}.
func outResource(db string, v bson.RawValue) auth.Resource {
	if coll, ok := v.StringValueOK(); ok {
		return auth.Namespace(db, coll)
	}
	d, _ := v.DocumentOK()
	if tdb, ok := d.Lookup("db").StringValueOK(); ok {
		db = tdb
	}
	coll, _ := d.Lookup("coll").StringValueOK()
	if coll == "" {
		return auth.Database(db)
	}
	return auth.Namespace(db, coll)
}

// createUserNeeds: createUser on the database, and grantRole on the database of every role granted.
func createUserNeeds(dst []need, req *Request) []need {
	return roleDBNeeds(append(dst, need{auth.Database(req.DB), auth.ActionCreateUser}), req, auth.ActionGrantRole)
}

// updateUserNeeds: changePassword for a new password, changeCustomData for customData, and grantRole and
// revokeRole on the roles' databases for new roles.
func updateUserNeeds(n []need, req *Request) []need {
	db := auth.Database(req.DB)
	start := len(n)
	if _, err := req.Body.LookupErr("pwd"); err == nil {
		n = append(n, need{db, auth.ActionChangePassword})
	}
	if _, err := req.Body.LookupErr("customData"); err == nil {
		n = append(n, need{db, auth.ActionChangeCustomData})
	}
	if _, err := req.Body.LookupErr("roles"); err == nil {
		n = append(n, need{db, auth.ActionRevokeRole})
		n = roleDBNeeds(n, req, auth.ActionGrantRole)
	}
	if len(n) == start {
		n = append(n, need{db, auth.ActionChangeCustomData})
	}
	return n
}

// rolesNeeds: act on the database of every role listed.
func rolesNeeds(act auth.Action) needsFunc {
	return func(n []need, req *Request) []need {
		start := len(n)
		n = roleDBNeeds(n, req, act)
		if len(n) == start {
			n = append(n, need{auth.Database(req.DB), act})
		}
		return n
	}
}

// roleDBNeeds appends act on the database of every role the command's roles field lists.
func roleDBNeeds(n []need, req *Request, act auth.Action) []need {
	v, err := req.Body.LookupErr("roles")
	if err != nil {
		return n
	}
	roles, err := parseRoles("roles", v, req.DB)
	if err != nil {
		return append(n, need{auth.Database(req.DB), act})
	}
	for _, r := range roles {
		n = append(n, need{auth.Database(r.DB), act})
	}
	return n
}

// usersInfoNeeds: viewUser on the database of every user asked for, on every database for forAllDBs. A user
// asking only about itself needs nothing, as in mongod.
func usersInfoNeeds(n []need, req *Request) []need {
	all, names, err := usersInfoTargets(req)
	if err != nil {
		return append(n, need{auth.Database(req.DB), auth.ActionViewUser})
	}
	if names == nil {
		if all == "" {
			return append(n, need{auth.Cluster, auth.ActionViewUser})
		}
		return append(n, need{auth.Database(all), auth.ActionViewUser})
	}
	var self auth.UserName
	if u := req.Conn.auth.user; u != nil {
		self = u.Name
	}
	for _, name := range names {
		if name != self {
			n = append(n, need{auth.Database(name.DB), auth.ActionViewUser})
		}
	}
	return n
}

// formatCommand writes a command as mongod's BSONObj::toString does in error messages, e.g.
// { find: "c", filter: { a: 1 }, $db: "test" }; a password field (pwd) is written "xxx".
func formatCommand(doc bson.Raw) string {
	var b strings.Builder
	formatDoc(&b, doc, false)
	return b.String()
}

func formatDoc(b *strings.Builder, doc bson.Raw, array bool) {
	elems, err := doc.Elements()
	if err != nil {
		b.WriteString("<invalid BSON>")
		return
	}
	open, close := "{", "}"
	if array {
		open, close = "[", "]"
	}
	if len(elems) == 0 {
		b.WriteString(open + close)
		return
	}
	b.WriteString(open + " ")
	for i, e := range elems {
		if i > 0 {
			b.WriteString(", ")
		}
		if !array {
			b.WriteString(e.Key() + ": ")
		}
		if e.Key() == "pwd" && !array {
			b.WriteString(`"xxx"`)
			continue
		}
		formatValue(b, e.Value())
	}
	b.WriteString(" " + close)
}

func formatValue(b *strings.Builder, v bson.RawValue) {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		formatDoc(b, v.Document(), false)
	case bson.TypeArray:
		formatDoc(b, bson.Raw(v.Array()), true)
	case bson.TypeString:
		b.WriteString(strconv.Quote(v.StringValue()))
	case bson.TypeInt32:
		b.WriteString(strconv.FormatInt(int64(v.Int32()), 10))
	case bson.TypeInt64:
		b.WriteString(strconv.FormatInt(v.Int64(), 10))
	case bson.TypeDouble:
		f := v.Double()
		if f == math.Trunc(f) && !math.IsInf(f, 0) && math.Abs(f) < 1e15 {
			b.WriteString(strconv.FormatFloat(f, 'f', 1, 64))
		} else {
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
	case bson.TypeBoolean:
		b.WriteString(strconv.FormatBool(v.Boolean()))
	case bson.TypeNull:
		b.WriteString("null")
	case bson.TypeObjectID:
		b.WriteString("ObjectId('" + v.ObjectID().Hex() + "')")
	case bson.TypeBinary:
		sub, data := v.Binary()
		if sub == bson.TypeBinaryUUID && len(data) == 16 {
			h := hex.EncodeToString(data)
			fmt.Fprintf(b, "UUID(\"%s-%s-%s-%s-%s\")", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
		} else {
			fmt.Fprintf(b, "BinData(%d, %s)", sub, strings.ToUpper(hex.EncodeToString(data)))
		}
	case bson.TypeTimestamp:
		t, i := v.Timestamp()
		fmt.Fprintf(b, "Timestamp(%d, %d)", t, i)
	case bson.TypeDateTime:
		fmt.Fprintf(b, "new Date(%d)", v.DateTime())
	default:
		b.WriteString(v.String())
	}
}
