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

// BenchmarkAuthorize is what access control adds to every command of an authenticated client.
func BenchmarkAuthorize(b *testing.B) {
	s := &Server{Auth: true, Users: auth.NewStore(nil)}
	c := &Conn{srv: s}
	c.auth.user = &auth.User{Name: auth.UserName{User: "app", DB: "admin"}, Roles: []auth.RoleName{{Role: "readWrite", DB: "shop"}}}
	c.auth.gen = s.users().Generation()
	body, _ := bson.Marshal(bson.D{{Key: "update", Value: "orders"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}}}}}, {Key: "$db", Value: "shop"}})
	inv := &invocation{}
	inv.request = Request{Name: "update", DB: "shop", Body: body, Conn: c}
	inv.req = &inv.request
	ctx := context.Background()
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
