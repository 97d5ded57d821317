package auth_test

import (
	"testing"

	"github.com/concorddb/concord/auth"
)

func TestAllowed(t *testing.T) {
	role := func(r, db string) []auth.RoleName { return []auth.RoleName{{Role: r, DB: db}} }
	ns := auth.Namespace
	for _, tc := range []struct {
		name  string
		roles []auth.RoleName
		res   auth.Resource
		act   auth.Action
		want  bool
	}{
		{"read finds in its database", role("read", "shop"), ns("shop", "orders"), auth.ActionFind, true},
		{"read does not insert", role("read", "shop"), ns("shop", "orders"), auth.ActionInsert, false},
		{"read does not find in another database", role("read", "shop"), ns("other", "orders"), auth.ActionFind, false},
		{"read does not read system collections", role("read", "admin"), ns("admin", "system.users"), auth.ActionFind, false},
		{"readWrite inserts", role("readWrite", "shop"), ns("shop", "orders"), auth.ActionInsert, true},
		{"readWrite does not drop the database", role("readWrite", "shop"), auth.Database("shop"), auth.ActionDropDatabase, false},
		{"dbAdmin drops the database", role("dbAdmin", "shop"), auth.Database("shop"), auth.ActionDropDatabase, true},
		{"dbAdmin does not read documents", role("dbAdmin", "shop"), ns("shop", "orders"), auth.ActionFind, false},
		{"dbAdmin reads the profile", role("dbAdmin", "shop"), ns("shop", "system.profile"), auth.ActionFind, true},
		{"userAdmin creates users", role("userAdmin", "shop"), auth.Database("shop"), auth.ActionCreateUser, true},
		{"userAdmin does not read documents", role("userAdmin", "shop"), ns("shop", "orders"), auth.ActionFind, false},
		{"dbOwner reads, writes and manages users", role("dbOwner", "shop"), auth.Database("shop"), auth.ActionCreateUser, true},
		{"readAnyDatabase reads anywhere", role("readAnyDatabase", "admin"), ns("shop", "orders"), auth.ActionFind, true},
		{"readAnyDatabase lists databases", role("readAnyDatabase", "admin"), auth.Cluster, auth.ActionListDatabases, true},
		{"readAnyDatabase does not write", role("readAnyDatabase", "admin"), ns("shop", "orders"), auth.ActionUpdate, false},
		{"readAnyDatabase on another database is no role", role("readAnyDatabase", "shop"), ns("shop", "orders"), auth.ActionFind, false},
		{"readWriteAnyDatabase writes anywhere", role("readWriteAnyDatabase", "admin"), ns("x", "y"), auth.ActionRemove, true},
		{"userAdminAnyDatabase creates users anywhere", role("userAdminAnyDatabase", "admin"), auth.Database("x"), auth.ActionCreateUser, true},
		{"userAdminAnyDatabase reads the users", role("userAdminAnyDatabase", "admin"), ns("admin", "system.users"), auth.ActionFind, true},
		{"dbAdminAnyDatabase creates indexes anywhere", role("dbAdminAnyDatabase", "admin"), ns("x", "y"), auth.ActionCreateIndex, true},
		{"clusterMonitor reads serverStatus", role("clusterMonitor", "admin"), auth.Cluster, auth.ActionServerStatus, true},
		{"clusterMonitor does not kill operations", role("clusterMonitor", "admin"), auth.Cluster, auth.ActionKillop, false},
		{"clusterMonitor does not read documents", role("clusterMonitor", "admin"), ns("x", "y"), auth.ActionFind, false},
		{"dbAdmin validates and compacts", role("dbAdmin", "shop"), ns("shop", "orders"), auth.ActionValidate, true},
		{"dbAdmin compacts", role("dbAdmin", "shop"), ns("shop", "orders"), auth.ActionCompact, true},
		{"read does not validate", role("read", "shop"), ns("shop", "orders"), auth.ActionValidate, false},
		{"clusterMonitor reads top", role("clusterMonitor", "admin"), auth.Cluster, auth.ActionTop, true},
		{"clusterMonitor reads connPoolStats", role("clusterMonitor", "admin"), auth.Cluster, auth.ActionConnPoolStats, true},
		{"clusterMonitor does not fsync", role("clusterMonitor", "admin"), auth.Cluster, auth.ActionFsync, false},
		{"hostManager fsyncs", role("hostManager", "admin"), auth.Cluster, auth.ActionFsync, true},
		{"hostManager unlocks", role("hostManager", "admin"), auth.Cluster, auth.ActionUnlock, true},
		{"hostManager rotates the log", role("hostManager", "admin"), auth.Cluster, auth.ActionLogRotate, true},
		{"hostManager does not set the FCV", role("hostManager", "admin"), auth.Cluster, auth.ActionSetFCV, false},
		{"clusterManager sets the FCV", role("clusterManager", "admin"), auth.Cluster, auth.ActionSetFCV, true},
		{"clusterAdmin sets the FCV and fsyncs", role("clusterAdmin", "admin"), auth.Cluster, auth.ActionFsync, true},
		{"clusterAdmin kills operations", role("clusterAdmin", "admin"), auth.Cluster, auth.ActionKillop, true},
		{"clusterAdmin drops databases", role("clusterAdmin", "admin"), auth.Database("x"), auth.ActionDropDatabase, true},
		{"root does everything", role("root", "admin"), ns("admin", "system.users"), auth.ActionRemove, true},
		{"root on the cluster", role("root", "admin"), auth.Cluster, auth.ActionSetParameter, true},
		{"no role allows nothing", nil, ns("x", "y"), auth.ActionFind, false},
		{"an unknown role allows nothing", role("boss", "x"), ns("x", "y"), auth.ActionFind, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := auth.Allowed(tc.roles, tc.res, tc.act); got != tc.want {
				t.Errorf("Allowed(%v, %v, %s) = %v, want %v", tc.roles, tc.res, tc.act, got, tc.want)
			}
		})
	}
}

func TestAnyPrivilegeOn(t *testing.T) {
	roles := []auth.RoleName{{Role: "read", DB: "shop"}, {Role: "userAdmin", DB: "people"}}
	if !auth.AnyPrivilegeOn(roles, "shop") || auth.AnyPrivilegeOn(roles, "other") {
		t.Error("read@shop + userAdmin@people: want no privilege on other")
	}
	if !auth.AnyPrivilegeOn([]auth.RoleName{{Role: "readAnyDatabase", DB: "admin"}}, "other") {
		t.Error("readAnyDatabase: want a privilege on every database")
	}
}

func TestLocalhostAllowed(t *testing.T) {
	for _, tc := range []struct {
		res  auth.Resource
		act  auth.Action
		want bool
	}{
		{auth.Database("admin"), auth.ActionCreateUser, true},
		{auth.Database("admin"), auth.ActionGrantRole, true},
		{auth.Database("shop"), auth.ActionCreateUser, false},
		{auth.Database("shop"), auth.ActionGrantRole, false},
		{auth.Namespace("admin", "system.users"), auth.ActionInsert, false},
		{auth.Database("admin"), auth.ActionListCollections, false},
		{auth.Cluster, auth.ActionListDatabases, false},
	} {
		if got := auth.LocalhostAllowed(tc.res, tc.act); got != tc.want {
			t.Errorf("LocalhostAllowed(%v, %s) = %v, want %v", tc.res, tc.act, got, tc.want)
		}
	}
}
