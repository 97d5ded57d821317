package server

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/auth"
)

// TestCommandPrivileges enforces the access-control rule: every command of the command table is in exactly one
// of preAuthCommands, authOnlyCommands and commandPrivileges, and nothing else is in them.
func TestCommandPrivileges(t *testing.T) {
	for name := range commands {
		n := 0
		if preAuthCommands[name] {
			n++
		}
		if authOnlyCommands[name] {
			n++
		}
		if _, ok := commandPrivileges[name]; ok {
			n++
		}
		if n != 1 {
			t.Errorf("command %s is in %d access-control classes, want exactly 1", name, n)
		}
	}
	for _, class := range []map[string]bool{preAuthCommands, authOnlyCommands} {
		for name := range class {
			if _, ok := commands[name]; !ok {
				t.Errorf("%s is classified but is not a command", name)
			}
		}
	}
	for name := range commandPrivileges {
		if _, ok := commands[name]; !ok {
			t.Errorf("%s has privileges but is not a command", name)
		}
	}
}

func TestCommandNeeds(t *testing.T) {
	req := func(db string, cmd bson.D) *Request {
		raw, err := bson.Marshal(cmd)
		if err != nil {
			t.Fatal(err)
		}
		return &Request{Name: cmd[0].Key, DB: db, Body: raw, Conn: &Conn{}}
	}
	ns := auth.Namespace
	for _, tc := range []struct {
		name string
		req  *Request
		want []need
	}{
		{"find needs find on its collection", req("shop", bson.D{{Key: "find", Value: "orders"}}),
			[]need{{ns("shop", "orders"), auth.ActionFind}}},
		{"an upserting update also needs insert", req("shop", bson.D{{Key: "update", Value: "orders"}, {Key: "updates", Value: bson.A{bson.D{{Key: "upsert", Value: true}}}}}),
			[]need{{ns("shop", "orders"), auth.ActionUpdate}, {ns("shop", "orders"), auth.ActionInsert}}},
		{"a removing findAndModify needs find and remove", req("shop", bson.D{{Key: "findAndModify", Value: "orders"}, {Key: "remove", Value: true}}),
			[]need{{ns("shop", "orders"), auth.ActionFind}, {ns("shop", "orders"), auth.ActionRemove}}},
		{"getMore needs find on the cursor's collection", req("shop", bson.D{{Key: "getMore", Value: int64(7)}, {Key: "collection", Value: "orders"}}),
			[]need{{ns("shop", "orders"), auth.ActionFind}}},
		{"aggregate needs find on every collection read and write on its output", req("shop", bson.D{{Key: "aggregate", Value: "orders"}, {Key: "pipeline", Value: bson.A{
			bson.D{{Key: "$lookup", Value: bson.D{{Key: "from", Value: "items"}, {Key: "pipeline", Value: bson.A{bson.D{{Key: "$unionWith", Value: "old"}}}}}}},
			bson.D{{Key: "$out", Value: bson.D{{Key: "db", Value: "reports"}, {Key: "coll", Value: "r"}}}},
		}}}),
			[]need{{ns("shop", "orders"), auth.ActionFind}, {ns("shop", "items"), auth.ActionFind}, {ns("shop", "old"), auth.ActionFind},
				{ns("reports", "r"), auth.ActionInsert}, {ns("reports", "r"), auth.ActionRemove}}},
		{"createUser needs createUser and grantRole on each role's database", req("shop", bson.D{{Key: "createUser", Value: "bob"}, {Key: "roles", Value: bson.A{"read", bson.D{{Key: "role", Value: "read"}, {Key: "db", Value: "other"}}}}}),
			[]need{{auth.Database("shop"), auth.ActionCreateUser}, {auth.Database("shop"), auth.ActionGrantRole}, {auth.Database("other"), auth.ActionGrantRole}}},
		{"serverStatus needs the cluster", req("admin", bson.D{{Key: "serverStatus", Value: 1}}),
			[]need{{auth.Cluster, auth.ActionServerStatus}}},
		{"validate needs validate on its collection", req("shop", bson.D{{Key: "validate", Value: "orders"}}),
			[]need{{ns("shop", "orders"), auth.ActionValidate}}},
		{"dataSize needs find on the namespace it names", req("admin", bson.D{{Key: "dataSize", Value: "shop.orders"}}),
			[]need{{ns("shop", "orders"), auth.ActionFind}}},
		{"fsync needs fsync on the cluster", req("admin", bson.D{{Key: "fsync", Value: 1}, {Key: "lock", Value: true}}),
			[]need{{auth.Cluster, auth.ActionFsync}}},
		{"fsyncUnlock needs unlock", req("admin", bson.D{{Key: "fsyncUnlock", Value: 1}}),
			[]need{{auth.Cluster, auth.ActionUnlock}}},
		{"setFeatureCompatibilityVersion needs its action", req("admin", bson.D{{Key: "setFeatureCompatibilityVersion", Value: "6.0"}}),
			[]need{{auth.Cluster, auth.ActionSetFCV}}},
		{"usersInfo about the database's users needs viewUser", req("shop", bson.D{{Key: "usersInfo", Value: 1}}),
			[]need{{auth.Database("shop"), auth.ActionViewUser}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := commandPrivileges[tc.req.Name](nil, tc.req); !slices.Equal(got, tc.want) {
				t.Errorf("needs = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFormatCommand(t *testing.T) {
	raw, _ := bson.Marshal(bson.D{
		{Key: "find", Value: "c"},
		{Key: "filter", Value: bson.D{{Key: "a", Value: int32(1)}, {Key: "b", Value: 2.0}, {Key: "c", Value: bson.A{}}}},
		{Key: "lsid", Value: bson.D{{Key: "id", Value: bson.Binary{Subtype: 4, Data: make([]byte, 16)}}}},
		{Key: "pwd", Value: "hunter2"},
		{Key: "$db", Value: "test"},
	})
	want := `{ find: "c", filter: { a: 1, b: 2.0, c: [] }, lsid: { id: UUID("00000000-0000-0000-0000-000000000000") }, pwd: "xxx", $db: "test" }`
	if got := formatCommand(raw); got != want {
		t.Errorf("formatCommand =\n%s\nwant\n%s", got, want)
	}
}

// TestNeedsCeiling checks the shortcut of needsCeiling: whatever the arguments of update and findAndModify, each
// privilege the command needs is one of its ceiling's actions on its namespace, so that holding the ceiling
// decides as the exact needs would. Then, for each of these requests and a range of roles, authorize with the
// shortcut decides as the exact needs do.
func TestNeedsCeiling(t *testing.T) {
	stmt := func(upsert any) bson.D {
		d := bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}}}
		if upsert != nil {
			d = append(d, bson.E{Key: "upsert", Value: upsert})
		}
		return d
	}
	bodies := []bson.D{
		{{Key: "update", Value: "orders"}, {Key: "updates", Value: bson.A{stmt(nil)}}},
		{{Key: "update", Value: "orders"}, {Key: "updates", Value: bson.A{stmt(false), stmt(true)}}},
		{{Key: "update", Value: "orders"}, {Key: "updates", Value: bson.A{stmt("yes")}}},
		{{Key: "update", Value: "system.profile"}, {Key: "updates", Value: bson.A{stmt(true)}}},
		{{Key: "update", Value: 5}, {Key: "updates", Value: bson.A{stmt(true)}}},
		{{Key: "update", Value: "orders"}},
		{{Key: "findAndModify", Value: "orders"}, {Key: "remove", Value: true}},
		{{Key: "findAndModify", Value: "orders"}, {Key: "update", Value: bson.D{{Key: "n", Value: 1}}}, {Key: "upsert", Value: true}},
		{{Key: "findandmodify", Value: "orders"}, {Key: "update", Value: bson.D{{Key: "n", Value: 1}}}},
		{{Key: "findAndModify", Value: ""}, {Key: "remove", Value: true}},
	}
	var roleSets [][]auth.RoleName
	for _, r := range []string{"read", "readWrite", "dbAdmin", "dbOwner", "userAdmin", "readAnyDatabase", "readWriteAnyDatabase", "root"} {
		for _, db := range []string{"shop", "admin", "other"} {
			roleSets = append(roleSets, []auth.RoleName{{Role: r, DB: db}})
		}
	}
	roleSets = append(roleSets, nil, []auth.RoleName{{Role: "read", DB: "shop"}, {Role: "dbAdmin", DB: "shop"}})
	s := &Server{Auth: true, Users: auth.NewStore(nil)}
	for _, d := range bodies {
		body, err := bson.Marshal(append(d, bson.E{Key: "$db", Value: "shop"}))
		if err != nil {
			t.Fatal(err)
		}
		c := &Conn{srv: s}
		inv, err := s.prepare(c, body, "")
		if err != nil {
			t.Fatal(err)
		}
		acc := inv.access
		if len(acc.ceiling) == 0 {
			t.Fatalf("%s has no ceiling", inv.req.Name)
		}
		res := commandNamespace(inv.req)
		needs := acc.needs(nil, inv.req)
		for _, n := range needs {
			if n.res != res || !slices.Contains(acc.ceiling, n.act) {
				t.Errorf("%v needs %s on %v, outside its ceiling %v on %v", d, n.act, n.res, acc.ceiling, res)
			}
		}
		for _, roles := range roleSets {
			c.auth.setUser(&auth.User{Name: auth.UserName{User: "u", DB: "admin"}, Roles: roles}, s.users().Generation())
			want := true
			for _, n := range needs {
				want = want && auth.Allowed(roles, n.res, n.act)
			}
			if got := s.authorize(context.Background(), inv) == nil; got != want {
				t.Errorf("%v with roles %v: authorized %v, exact needs say %v", d, roles, got, want)
			}
		}
	}
}

// BenchmarkAuthorize is what access control adds to every command of an authenticated client: authorize, on an
// invocation prepared as dispatch prepares it, for an update shaped as the Go driver sends it (lsid, txnNumber,
// $clusterTime, $db, then the statements of its document sequence), by a user with readWrite on the database and
// read on another.
func BenchmarkAuthorize(b *testing.B) {
	s := &Server{Auth: true, Users: auth.NewStore(nil)}
	c := &Conn{srv: s}
	c.auth.setUser(&auth.User{Name: auth.UserName{User: "app", DB: "admin"},
		Roles: []auth.RoleName{{Role: "read", DB: "reports"}, {Role: "readWrite", DB: "shop"}}}, s.users().Generation())
	body, _ := bson.Marshal(bson.D{
		{Key: "update", Value: "orders"},
		{Key: "ordered", Value: true},
		{Key: "lsid", Value: bson.D{{Key: "id", Value: bson.Binary{Subtype: 4, Data: make([]byte, 16)}}}},
		{Key: "txnNumber", Value: int64(7)},
		{Key: "$clusterTime", Value: bson.D{{Key: "clusterTime", Value: bson.Timestamp{T: 1, I: 1}},
			{Key: "signature", Value: bson.D{{Key: "hash", Value: bson.Binary{Data: make([]byte, 20)}}, {Key: "keyId", Value: int64(0)}}}}},
		{Key: "$db", Value: "shop"},
		{Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}}}}},
	})
	inv, err := s.prepare(c, body, "")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := s.authorize(ctx, inv); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.authorize(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRedactPassword(t *testing.T) {
	body, _ := bson.Marshal(bson.D{{Key: "createUser", Value: "bob"}, {Key: "pwd", Value: "hunter2"}, {Key: "roles", Value: bson.A{}}})
	got := redactPassword("createUser", body)
	if v := got.Lookup("pwd").StringValue(); v != "xxx" || got.Lookup("createUser").StringValue() != "bob" {
		t.Errorf("redacted = %v", got)
	}
	if find, _ := bson.Marshal(bson.D{{Key: "find", Value: "c"}, {Key: "pwd", Value: "field"}}); !bytes.Equal(redactPassword("find", find), find) {
		t.Error("a find was rewritten")
	}
}
