package auth

import (
	"strconv"
	"strings"
)

// Action is a MongoDB privilege action (mongod's action_types.txt). Actions are small integers, so that a set of
// them is one machine word (actionSet); String gives mongod's name.
type Action uint8

// The actions Concord's commands need.
const (
	ActionFind Action = iota
	ActionInsert
	ActionUpdate
	ActionRemove
	ActionKillCursors
	ActionListCollections
	ActionListIndexes
	ActionCollStats
	ActionIndexStats
	ActionDBStats
	ActionCreateCollection
	ActionDropCollection
	ActionCreateIndex
	ActionDropIndex
	ActionDropDatabase
	ActionEnableProfiler
	ActionBypassDocumentValidation
	ActionCreateUser
	ActionDropUser
	ActionViewUser
	ActionGrantRole
	ActionRevokeRole
	ActionChangePassword
	ActionChangeCustomData
	ActionListDatabases
	ActionServerStatus
	ActionInprog
	ActionKillop
	ActionKillAnySession
	ActionGetParameter
	ActionSetParameter
	ActionGetCmdLineOpts
	ActionGetLog
	ActionHostInfo
	ActionReplSetGetStatus
	ActionCollMod
	ActionRenameCollectionSameDB
	ActionValidate
	ActionCompact
	ActionTop
	ActionConnPoolStats
	ActionFsync
	ActionUnlock
	ActionLogRotate
	ActionSetFCV

	numActions // the number of actions; must stay at most 64 (actionSet)
)

// actionNames are the actions as mongod names them.
var actionNames = [numActions]string{
	ActionFind:                     "find",
	ActionInsert:                   "insert",
	ActionUpdate:                   "update",
	ActionRemove:                   "remove",
	ActionKillCursors:              "killCursors",
	ActionListCollections:          "listCollections",
	ActionListIndexes:              "listIndexes",
	ActionCollStats:                "collStats",
	ActionIndexStats:               "indexStats",
	ActionDBStats:                  "dbStats",
	ActionCreateCollection:         "createCollection",
	ActionDropCollection:           "dropCollection",
	ActionCreateIndex:              "createIndex",
	ActionDropIndex:                "dropIndex",
	ActionDropDatabase:             "dropDatabase",
	ActionEnableProfiler:           "enableProfiler",
	ActionBypassDocumentValidation: "bypassDocumentValidation",
	ActionCreateUser:               "createUser",
	ActionDropUser:                 "dropUser",
	ActionViewUser:                 "viewUser",
	ActionGrantRole:                "grantRole",
	ActionRevokeRole:               "revokeRole",
	ActionChangePassword:           "changePassword",
	ActionChangeCustomData:         "changeCustomData",
	ActionListDatabases:            "listDatabases",
	ActionServerStatus:             "serverStatus",
	ActionInprog:                   "inprog",
	ActionKillop:                   "killop",
	ActionKillAnySession:           "killAnySession",
	ActionGetParameter:             "getParameter",
	ActionSetParameter:             "setParameter",
	ActionGetCmdLineOpts:           "getCmdLineOpts",
	ActionGetLog:                   "getLog",
	ActionHostInfo:                 "hostInfo",
	ActionReplSetGetStatus:         "replSetGetStatus",
	ActionCollMod:                  "collMod",
	ActionRenameCollectionSameDB:   "renameCollectionSameDB",
	ActionValidate:                 "validate",
	ActionCompact:                  "compact",
	ActionTop:                      "top",
	ActionConnPoolStats:            "connPoolStats",
	ActionFsync:                    "fsync",
	ActionUnlock:                   "unlock",
	ActionLogRotate:                "logRotate",
	ActionSetFCV:                   "setFeatureCompatibilityVersion",
}

// String returns the action's name in mongod.
func (a Action) String() string {
	if a < numActions {
		return actionNames[a]
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// Resource is what a command acts on: the cluster, a whole database (Collection ""), or one namespace.
type Resource struct {
	DB         string
	Collection string
	Cluster    bool
}

// Namespace is the resource of collection coll of database db.
func Namespace(db, coll string) Resource { return Resource{DB: db, Collection: coll} }

// Database is the resource of database db as a whole (listCollections, dropDatabase, createUser...).
func Database(db string) Resource { return Resource{DB: db} }

// Cluster is the resource of server-wide actions (serverStatus, listDatabases, killOp...).
var Cluster = Resource{Cluster: true}

// String writes the resource as mongod's privilege documents do.
func (r Resource) String() string {
	switch {
	case r.Cluster:
		return "{ cluster: true }"
	default:
		return "{ db: \"" + r.DB + "\", collection: \"" + r.Collection + "\" }"
	}
}

// isNormal reports whether a namespace is one of the "normal" collections a database-wide privilege covers:
// everything but system.* collections, as in mongod's ResourcePattern::forDatabaseName.
func (r Resource) isNormal() bool { return !strings.HasPrefix(r.Collection, "system.") }

// pattern is the resource half of a privilege, mongod's ResourcePattern.
type pattern int

const (
	patDB        pattern = iota // the role's database and its normal collections
	patNS                       // one namespace: coll in the role's database
	patAnyNormal                // every database and every normal collection
	patAnyNS                    // coll in any database
	patCluster                  // the cluster
	patAny                      // anything, the cluster included
)

// privilege grants actions on the resources a pattern matches. coll is the collection of patNS and patAnyNS.
type privilege struct {
	pat     pattern
	coll    string
	actions []Action
}

// matches reports whether the privilege, held through a role on database db, covers r.
func (p privilege) matches(db string, r Resource) bool {
	switch p.pat {
	case patDB:
		return !r.Cluster && r.DB == db && r.isNormal()
	case patNS:
		return !r.Cluster && r.DB == db && r.Collection == p.coll
	case patAnyNormal:
		return !r.Cluster && r.isNormal()
	case patAnyNS:
		return !r.Cluster && r.Collection == p.coll
	case patCluster:
		return r.Cluster
	case patAny:
		return true
	}
	return false
}

func (p privilege) has(a Action) bool {
	for _, x := range p.actions {
		if x == a {
			return true
		}
	}
	return false
}

// The built-in roles' action sets, from mongod's role_graph_builtin_roles.cpp, restricted to the actions above.
var (
	readActions = []Action{ActionCollStats, ActionDBStats, ActionFind, ActionKillCursors, ActionListCollections,
		ActionListIndexes}
	readWriteActions = append([]Action{ActionCreateCollection, ActionCreateIndex, ActionDropCollection,
		ActionDropIndex, ActionInsert, ActionRemove, ActionRenameCollectionSameDB, ActionUpdate}, readActions...)
	dbAdminActions = []Action{ActionBypassDocumentValidation, ActionCollMod, ActionCollStats, ActionCompact,
		ActionCreateCollection, ActionCreateIndex, ActionDBStats, ActionIndexStats, ActionDropCollection, ActionDropDatabase,
		ActionDropIndex, ActionEnableProfiler, ActionListCollections, ActionListIndexes,
		ActionRenameCollectionSameDB, ActionValidate}
	// dbAdmin reads the profiler's collection, and only that one.
	profileActions = []Action{ActionCollStats, ActionCreateCollection, ActionDBStats, ActionDropCollection,
		ActionFind, ActionKillCursors, ActionListCollections, ActionListIndexes}
	userAdminActions = []Action{ActionChangeCustomData, ActionChangePassword, ActionCreateUser, ActionDropUser,
		ActionGrantRole, ActionRevokeRole, ActionViewUser}
	clusterMonitorActions = []Action{ActionConnPoolStats, ActionGetCmdLineOpts, ActionGetLog, ActionGetParameter,
		ActionHostInfo, ActionInprog, ActionListDatabases, ActionReplSetGetStatus, ActionServerStatus, ActionTop}
	hostManagerActions = []Action{ActionFsync, ActionKillAnySession, ActionKillop, ActionLogRotate,
		ActionSetParameter, ActionUnlock}
	clusterManagerActions = []Action{ActionSetFCV}
	clusterAdminActions   = union(clusterManagerActions, clusterMonitorActions, hostManagerActions)
	// userAdminAnyDatabase may read and write the user documents themselves.
	userDocActions = []Action{ActionFind, ActionInsert, ActionUpdate, ActionRemove}
)

// roleDefs are the privileges of every built-in role. Roles named with "AnyDatabase" and the cluster roles
// exist only on the admin database, as in mongod.
var roleDefs = map[string]struct {
	adminOnly bool
	privs     []privilege
}{
	"read":      {privs: []privilege{{pat: patDB, actions: readActions}}},
	"readWrite": {privs: []privilege{{pat: patDB, actions: readWriteActions}}},
	"dbAdmin": {privs: []privilege{{pat: patDB, actions: dbAdminActions},
		{pat: patNS, coll: "system.profile", actions: profileActions}}},
	"userAdmin": {privs: []privilege{{pat: patDB, actions: userAdminActions}}},
	"dbOwner": {privs: []privilege{{pat: patDB, actions: union(readWriteActions, dbAdminActions, userAdminActions)},
		{pat: patNS, coll: "system.profile", actions: profileActions}}},
	"readAnyDatabase": {adminOnly: true, privs: []privilege{{pat: patAnyNormal, actions: readActions},
		{pat: patCluster, actions: []Action{ActionListDatabases}}}},
	"readWriteAnyDatabase": {adminOnly: true, privs: []privilege{{pat: patAnyNormal, actions: readWriteActions},
		{pat: patCluster, actions: []Action{ActionListDatabases}}}},
	"userAdminAnyDatabase": {adminOnly: true, privs: []privilege{{pat: patAnyNormal, actions: userAdminActions},
		{pat: patCluster, actions: []Action{ActionListDatabases}},
		{pat: patAnyNS, coll: "system.users", actions: userDocActions}}},
	"dbAdminAnyDatabase": {adminOnly: true, privs: []privilege{{pat: patAnyNormal, actions: dbAdminActions},
		{pat: patAnyNS, coll: "system.profile", actions: profileActions},
		{pat: patCluster, actions: []Action{ActionListDatabases}}}},
	"clusterMonitor": {adminOnly: true, privs: []privilege{{pat: patCluster, actions: clusterMonitorActions},
		{pat: patAnyNormal, actions: []Action{ActionCollStats, ActionDBStats, ActionIndexStats}}}},
	"hostManager":    {adminOnly: true, privs: []privilege{{pat: patCluster, actions: hostManagerActions}}},
	"clusterManager": {adminOnly: true, privs: []privilege{{pat: patCluster, actions: clusterManagerActions}}},
	"clusterAdmin": {adminOnly: true, privs: []privilege{{pat: patCluster, actions: clusterAdminActions},
		{pat: patAnyNormal, actions: []Action{ActionCollStats, ActionDBStats, ActionDropDatabase, ActionIndexStats}}}},
	"root": {adminOnly: true, privs: []privilege{{pat: patAny}}},
}

// union returns the actions of every set, each once.
func union(sets ...[]Action) []Action {
	var out []Action
	seen := map[Action]bool{}
	for _, s := range sets {
		for _, a := range s {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// IsBuiltinRole reports whether r is one of the built-in roles on its database.
func IsBuiltinRole(r RoleName) bool {
	def, ok := roleDefs[r.Role]
	return ok && r.DB != "" && (!def.adminOnly || r.DB == "admin")
}

// BuiltinRoles returns the names of the built-in roles.
func BuiltinRoles() []string {
	out := make([]string, 0, len(roleDefs))
	for name := range roleDefs {
		out = append(out, name)
	}
	return out
}

// Allowed reports whether roles grant action a on resource r. root grants everything; every other role grants
// its privileges on its own database (or on all databases for the AnyDatabase roles). Database-wide privileges
// never cover system.* collections, so that reading a database does not read its users or its profile.
func Allowed(roles []RoleName, r Resource, a Action) bool {
	for _, role := range roles {
		if !IsBuiltinRole(role) {
			continue
		}
		for _, p := range roleDefs[role.Role].privs {
			if p.matches(role.DB, r) && (p.pat == patAny || p.has(a)) {
				return true
			}
		}
	}
	return false
}

// LocalhostAllowed reports whether mongod's localhost exception grants action a on r: while no user exists, a
// client on a loopback address holds createUser and grantRole on the admin database (mongod's default
// privileges), enough to create the first user with roles on admin and nothing else.
func LocalhostAllowed(r Resource, a Action) bool {
	return !r.Cluster && r.DB == "admin" && r.Collection == "" && (a == ActionCreateUser || a == ActionGrantRole)
}

// AnyPrivilegeOn reports whether roles grant some action on database db: mongod's test for listing a
// database to a user without listDatabases (authorizedDatabases) and for listCollections' authorizedCollections.
func AnyPrivilegeOn(roles []RoleName, db string) bool {
	for _, role := range roles {
		if !IsBuiltinRole(role) {
			continue
		}
		for _, p := range roleDefs[role.Role].privs {
			if p.pat != patCluster && (p.pat == patAny || p.pat == patAnyNormal || p.pat == patAnyNS || role.DB == db) {
				return true
			}
		}
	}
	return false
}
