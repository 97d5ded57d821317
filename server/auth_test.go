package server_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xdg-go/scram"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/server"
)

// authEnv is a server with Auth on, over a DB in dir ("" for memory), and the store of its users.
type authEnv struct {
	*coreEnv
	log   *syncBuffer
	users *auth.Store
}

func newAuthEnv(tb testing.TB, configure func(*server.Server)) *authEnv {
	tb.Helper()
	logs := &syncBuffer{}
	var users *auth.Store
	e := newCoreEnvWith(tb, func(s *server.Server) {
		s.Auth = true
		s.ErrorLog = log.New(logs, "", 0)
		users = auth.NewStore(s.DB)
		s.Users = users
		if configure != nil {
			configure(s)
		}
	})
	return &authEnv{coreEnv: e, log: logs, users: users}
}

// addUser creates a user directly in the store, as an administrator would have.
func (e *authEnv) addUser(tb testing.TB, name, db, password string, mechs []string, roles ...auth.RoleName) {
	tb.Helper()
	err := e.users.CreateUser(context.Background(), auth.NewUser{Name: auth.UserName{User: name, DB: db}, Password: password, Roles: roles, Mechanisms: mechs})
	if err != nil {
		tb.Fatalf("CreateUser %s: %v", name, err)
	}
}

// connectAs connects the driver with credentials; extra is appended to the URI's query.
func connectAs(tb testing.TB, addr, user, password, extra string) *mongo.Client {
	tb.Helper()
	uri := fmt.Sprintf("mongodb://%s:%s@%s/?authSource=admin%s", url.QueryEscape(user), url.QueryEscape(password), addr, extra)
	c, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		tb.Fatalf("Connect: %v", err)
	}
	tb.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

// serverCode returns the code of a server error, 0 for nil, -1 for anything else.
func serverCode(err error) int {
	if err == nil {
		return 0
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		for _, c := range []int{13, 18, 11, 31, 51003} {
			if se.HasErrorCode(c) {
				return c
			}
		}
	}
	return -1
}

var root = auth.RoleName{Role: "root", DB: "admin"}

func TestAuth_SCRAM(t *testing.T) {
	e := newAuthEnv(t, nil)
	e.addUser(t, "alice", "admin", "pässword", nil, root)
	e.addUser(t, "old", "admin", "pw1", []string{auth.SCRAMSHA1}, root)
	ctx := context.Background()
	for _, tc := range []struct {
		name, user, password, extra string
		ok                          bool
	}{
		{"SCRAM-SHA-256 authenticates", "alice", "pässword", "&authMechanism=SCRAM-SHA-256", true},
		{"SCRAM-SHA-1 authenticates", "alice", "pässword", "&authMechanism=SCRAM-SHA-1", true},
		{"the default mechanism authenticates (speculative SCRAM-SHA-256)", "alice", "pässword", "", true},
		{"negotiation picks SCRAM-SHA-1 for a user without SCRAM-SHA-256", "old", "pw1", "", true},
		{"a wrong password fails", "alice", "password", "", false},
		{"a wrong password fails with SCRAM-SHA-1", "alice", "password", "&authMechanism=SCRAM-SHA-1", false},
		{"an unknown user fails", "nobody", "pässword", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := connectAs(t, e.addr, tc.user, tc.password, tc.extra)
			_, err := c.Database("test").Collection("c").InsertOne(ctx, bson.D{{Key: "x", Value: 1}})
			if tc.ok {
				if err != nil {
					t.Fatalf("insert: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "Authentication failed.") {
				t.Fatalf("insert error = %v, want Authentication failed.", err)
			}
		})
	}
	logs := e.log.String()
	if !strings.Contains(logs, "Authentication failed") || !strings.Contains(logs, `principal "alice"`) {
		t.Errorf("no failure logged for alice:\n%s", logs)
	}
	for _, secret := range []string{"pässword", "password", "pw1"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the password %q:\n%s", secret, logs)
		}
	}
}

func TestAuth_Unauthenticated(t *testing.T) {
	e := newAuthEnv(t, nil)
	e.addUser(t, "alice", "admin", "pw", nil, root)
	r := e.dial(t)
	for _, name := range []string{"hello", "ping", "buildInfo", "connectionStatus"} {
		mustOK(t, name, r.cmd(bson.D{{Key: name, Value: 1}, {Key: "$db", Value: "admin"}}))
	}
	for _, cmd := range []bson.D{
		{{Key: "find", Value: "c"}, {Key: "$db", Value: "test"}},
		{{Key: "listDatabases", Value: 1}, {Key: "$db", Value: "admin"}},
		{{Key: "createUser", Value: "eve"}, {Key: "pwd", Value: "x"}, {Key: "roles", Value: bson.A{}}, {Key: "$db", Value: "admin"}},
		{{Key: "endSessions", Value: bson.A{}}, {Key: "$db", Value: "admin"}},
	} {
		reply := r.cmd(cmd)
		want := fmt.Sprintf("Command %s requires authentication", cmd[0].Key)
		if code(reply) != 13 || reply.Lookup("errmsg").StringValue() != want || reply.Lookup("codeName").StringValue() != "Unauthorized" {
			t.Errorf("%s: reply %v, want Unauthorized %q", cmd[0].Key, reply, want)
		}
	}
}

// TestAuth_LocalhostException creates the first user from a loopback client without credentials; once it
// exists, the same client may do nothing more.
func TestAuth_LocalhostException(t *testing.T) {
	e := newAuthEnv(t, nil)
	ctx := context.Background()
	c := e.client(t)
	admin := c.Database("admin")
	err := c.Database("test").Collection("c").FindOne(ctx, bson.D{}).Err()
	if serverCode(err) != 13 || !strings.Contains(err.Error(), "not authorized on test to execute command { find: ") {
		t.Fatalf("find before any user: %v, want Unauthorized, not authorized", err)
	}
	if err := c.Database("test").RunCommand(ctx, bson.D{{Key: "createUser", Value: "u"}, {Key: "pwd", Value: "p"}, {Key: "roles", Value: bson.A{}}}).Err(); serverCode(err) != 13 {
		t.Fatalf("createUser on test under the exception: %v, want Unauthorized", err)
	}
	if err := admin.RunCommand(ctx, bson.D{{Key: "createUser", Value: "u"}, {Key: "pwd", Value: "p"}, {Key: "roles", Value: bson.A{bson.D{{Key: "role", Value: "readWrite"}, {Key: "db", Value: "shop"}}}}}).Err(); serverCode(err) != 13 {
		t.Fatalf("createUser with a role on shop under the exception: %v, want Unauthorized", err)
	}
	err = admin.RunCommand(ctx, bson.D{{Key: "createUser", Value: "admin"}, {Key: "pwd", Value: "s3cret"}, {Key: "roles", Value: bson.A{"root"}}}).Err()
	if err != nil {
		t.Fatalf("first createUser: %v", err)
	}
	err = admin.RunCommand(ctx, bson.D{{Key: "createUser", Value: "second"}, {Key: "pwd", Value: "x"}, {Key: "roles", Value: bson.A{"root"}}}).Err()
	if serverCode(err) != 13 {
		t.Fatalf("second createUser without credentials: %v, want Unauthorized", err)
	}
	a := connectAs(t, e.addr, "admin", "s3cret", "")
	if err := a.Database("admin").RunCommand(ctx, bson.D{{Key: "createUser", Value: "second"}, {Key: "pwd", Value: "x"}, {Key: "roles", Value: bson.A{"read"}}}).Err(); err != nil {
		t.Fatalf("createUser as the first user: %v", err)
	}
}

// TestAuth_Roles runs the same operations as users of each built-in role and checks which the server allows.
func TestAuth_Roles(t *testing.T) {
	e := newAuthEnv(t, nil)
	ctx := context.Background()
	e.addUser(t, "root", "admin", "pw", nil, root)
	rc := connectAs(t, e.addr, "root", "pw", "")
	if _, err := rc.Database("shop").Collection("orders").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Database("other").Collection("x").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	type op struct {
		name string
		run  func(c *mongo.Client) error
	}
	cmd := func(db string, d bson.D) func(c *mongo.Client) error {
		return func(c *mongo.Client) error { return c.Database(db).RunCommand(ctx, d).Err() }
	}
	ops := []op{
		{"find shop", func(c *mongo.Client) error {
			return c.Database("shop").Collection("orders").FindOne(ctx, bson.D{}).Err()
		}},
		{"insert shop", func(c *mongo.Client) error {
			_, err := c.Database("shop").Collection("orders").InsertOne(ctx, bson.D{})
			return err
		}},
		{"find other", func(c *mongo.Client) error { return c.Database("other").Collection("x").FindOne(ctx, bson.D{}).Err() }},
		{"insert other", func(c *mongo.Client) error {
			_, err := c.Database("other").Collection("x").InsertOne(ctx, bson.D{})
			return err
		}},
		{"createIndex shop", cmd("shop", bson.D{{Key: "createIndexes", Value: "orders"}, {Key: "indexes", Value: bson.A{bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "name", Value: "a_1"}}}}})},
		{"createUser shop", cmd("shop", bson.D{{Key: "createUser", Value: "tmp"}, {Key: "pwd", Value: "x"}, {Key: "roles", Value: bson.A{}}})},
		{"serverStatus", cmd("admin", bson.D{{Key: "serverStatus", Value: 1}})},
		{"killOp", cmd("admin", bson.D{{Key: "killOp", Value: 1}, {Key: "op", Value: 12345}})},
		{"find users", func(c *mongo.Client) error {
			return c.Database("admin").Collection("system.users").FindOne(ctx, bson.D{}).Err()
		}},
	}
	//                                   find  insert find  insert createIdx createUser serverStatus killOp find
	//                                   shop  shop   other other  shop      shop       (cluster)    (cl)   users
	table := []struct {
		role  auth.RoleName
		allow string
	}{
		{auth.RoleName{Role: "read", DB: "shop"}, "100000000"},
		{auth.RoleName{Role: "readWrite", DB: "shop"}, "110010000"},
		{auth.RoleName{Role: "dbAdmin", DB: "shop"}, "000010000"},
		{auth.RoleName{Role: "userAdmin", DB: "shop"}, "000001000"},
		{auth.RoleName{Role: "dbOwner", DB: "shop"}, "110011000"},
		{auth.RoleName{Role: "readAnyDatabase", DB: "admin"}, "101000000"},
		{auth.RoleName{Role: "readWriteAnyDatabase", DB: "admin"}, "111110000"},
		{auth.RoleName{Role: "userAdminAnyDatabase", DB: "admin"}, "000001001"},
		{auth.RoleName{Role: "dbAdminAnyDatabase", DB: "admin"}, "000010000"},
		{auth.RoleName{Role: "clusterMonitor", DB: "admin"}, "000000100"},
		{auth.RoleName{Role: "clusterAdmin", DB: "admin"}, "000000110"},
		{root, "111111111"},
	}
	for _, tc := range table {
		t.Run(tc.role.String(), func(t *testing.T) {
			name := "u_" + tc.role.Role
			e.addUser(t, name, "admin", "pw", nil, tc.role)
			c := connectAs(t, e.addr, name, "pw", "")
			for i, o := range ops {
				err := o.run(c)
				if errors.Is(err, mongo.ErrNoDocuments) {
					err = nil
				}
				_ = rc.Database("shop").RunCommand(ctx, bson.D{{Key: "dropUser", Value: "tmp"}}).Err()
				allowed := serverCode(err) != 13
				if want := tc.allow[i] == '1'; allowed != want {
					t.Errorf("%s: allowed %v, want %v (err %v)", o.name, allowed, want, err)
				}
				if !allowed && !strings.Contains(err.Error(), "not authorized on ") {
					t.Errorf("%s: error %v, want mongod's message", o.name, err)
				}
			}
		})
	}
}

func TestAuth_Unauthorized_Message(t *testing.T) {
	e := newAuthEnv(t, nil)
	e.addUser(t, "reader", "admin", "pw", nil, auth.RoleName{Role: "read", DB: "shop"})
	c := connectAs(t, e.addr, "reader", "pw", "")
	_, err := c.Database("shop").Collection("orders").InsertOne(context.Background(), bson.D{{Key: "_id", Value: 1}})
	var se mongo.CommandError
	if !errors.As(err, &se) || se.Code != 13 || se.Name != "Unauthorized" {
		t.Fatalf("insert as a reader: %v, want Unauthorized", err)
	}
	if !strings.HasPrefix(se.Message, `not authorized on shop to execute command { insert: "orders", `) || !strings.Contains(se.Message, `$db: "shop"`) {
		t.Errorf("message = %q", se.Message)
	}
}

func TestAuth_ConnectionStatusAndLogout(t *testing.T) {
	e := newAuthEnv(t, nil)
	e.addUser(t, "alice", "admin", "pw", nil, auth.RoleName{Role: "readWrite", DB: "shop"})
	c := connectAs(t, e.addr, "alice", "pw", "&maxPoolSize=1")
	ctx := context.Background()
	var st struct {
		AuthInfo struct {
			Users []struct{ User, DB string } `bson:"authenticatedUsers"`
			Roles []struct{ Role, DB string } `bson:"authenticatedUserRoles"`
		} `bson:"authInfo"`
	}
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "connectionStatus", Value: 1}}).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if len(st.AuthInfo.Users) != 1 || st.AuthInfo.Users[0].User != "alice" || st.AuthInfo.Users[0].DB != "admin" ||
		len(st.AuthInfo.Roles) != 1 || st.AuthInfo.Roles[0].Role != "readWrite" || st.AuthInfo.Roles[0].DB != "shop" {
		t.Errorf("connectionStatus = %+v", st)
	}
	// A grant reaches the connected client at its next command.
	if err := e.users.GrantRoles(ctx, auth.UserName{User: "alice", DB: "admin"}, []auth.RoleName{{Role: "read", DB: "other"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Database("other").Collection("x").FindOne(ctx, bson.D{}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
		t.Errorf("find after a grant: %v", err)
	}
	// Dropped and created again under the same name, the user is another one: the connection keeps no role.
	alice := auth.UserName{User: "alice", DB: "admin"}
	if err := e.users.DropUser(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if err := e.users.CreateUser(ctx, auth.NewUser{Name: alice, Password: "pw", Roles: []auth.RoleName{root}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Database("other").Collection("x").FindOne(ctx, bson.D{}).Err(); serverCode(err) != 13 {
		t.Errorf("find after the user was dropped and created again: %v, want Unauthorized", err)
	}
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "logout", Value: 1}}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Database("shop").Collection("x").FindOne(ctx, bson.D{}).Err(); serverCode(err) != 13 {
		t.Errorf("find after logout: %v, want Unauthorized", err)
	}
}

func TestAuth_UserCommands(t *testing.T) {
	e := newAuthEnv(t, nil)
	e.addUser(t, "admin", "admin", "pw", nil, root)
	c := connectAs(t, e.addr, "admin", "pw", "")
	ctx := context.Background()
	shop := c.Database("shop")
	run := func(d bson.D) (bson.Raw, error) { return shop.RunCommand(ctx, d).Raw() }
	if _, err := run(bson.D{{Key: "createUser", Value: "bob"}, {Key: "pwd", Value: "b1"}, {Key: "roles", Value: bson.A{"read"}}, {Key: "customData", Value: bson.D{{Key: "team", Value: "ops"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := run(bson.D{{Key: "createUser", Value: "bob"}, {Key: "pwd", Value: "b1"}, {Key: "roles", Value: bson.A{}}}); serverCode(err) != 51003 {
		t.Errorf("duplicate createUser: %v", err)
	}
	if _, err := run(bson.D{{Key: "createUser", Value: "x"}, {Key: "pwd", Value: "b1"}, {Key: "roles", Value: bson.A{"boss"}}}); serverCode(err) != 31 {
		t.Errorf("createUser with an unknown role: %v", err)
	}
	if _, err := run(bson.D{{Key: "grantRolesToUser", Value: "bob"}, {Key: "roles", Value: bson.A{"readWrite"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := run(bson.D{{Key: "revokeRolesFromUser", Value: "bob"}, {Key: "roles", Value: bson.A{"read"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := run(bson.D{{Key: "updateUser", Value: "bob"}, {Key: "pwd", Value: "b2"}}); err != nil {
		t.Fatal(err)
	}
	reply, err := run(bson.D{{Key: "usersInfo", Value: "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	u := reply.Lookup("users", "0").Document()
	if u.Lookup("_id").StringValue() != "shop.bob" || u.Lookup("roles", "0", "role").StringValue() != "readWrite" ||
		u.Lookup("customData", "team").StringValue() != "ops" || u.Lookup("mechanisms", "1").StringValue() != "SCRAM-SHA-256" {
		t.Errorf("usersInfo = %v", reply)
	}
	if _, err := u.LookupErr("credentials"); err == nil {
		t.Error("usersInfo shows credentials without showCredentials")
	}
	// bob's new password works against his own database.
	bc, err := mongo.Connect(options.Client().ApplyURI("mongodb://bob:b2@" + e.addr + "/?authSource=shop").SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Disconnect(ctx)
	if _, err := bc.Database("shop").Collection("c").InsertOne(ctx, bson.D{}); err != nil {
		t.Errorf("insert as bob after grant and new password: %v", err)
	}
	if _, err := run(bson.D{{Key: "dropUser", Value: "bob"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := run(bson.D{{Key: "dropUser", Value: "bob"}}); serverCode(err) != 11 {
		t.Errorf("dropUser of a dropped user: %v", err)
	}
	for _, n := range []string{"a", "b"} {
		if _, err := run(bson.D{{Key: "createUser", Value: n}, {Key: "pwd", Value: "p"}, {Key: "roles", Value: bson.A{}}}); err != nil {
			t.Fatal(err)
		}
	}
	reply, err = run(bson.D{{Key: "dropAllUsersFromDatabase", Value: 1}})
	if err != nil || reply.Lookup("n").Int32() != 2 {
		t.Errorf("dropAllUsersFromDatabase = %v, %v", reply, err)
	}
}

// TestAuth_Restart: users survive a restart of the server over the same data directory.
func TestAuth_Restart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	start := func() (addr string, stop func()) {
		db, err := concord.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &server.Server{DB: db, Auth: true}
		go srv.Serve(l)
		return l.Addr().String(), func() {
			srv.Close()
			db.Close()
		}
	}
	addr, stop := start()
	c, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + addr + "/").SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "createUser", Value: "admin"}, {Key: "pwd", Value: "pw"}, {Key: "roles", Value: bson.A{"root"}}}).Err(); err != nil {
		t.Fatal(err)
	}
	c.Disconnect(ctx)
	stop()
	addr, stop = start()
	defer stop()
	ac := connectAs(t, addr, "admin", "pw", "")
	if _, err := ac.Database("t").Collection("c").InsertOne(ctx, bson.D{}); err != nil {
		t.Fatalf("insert after a restart: %v", err)
	}
	bad := connectAs(t, addr, "admin", "wrong", "")
	if _, err := bad.Database("t").Collection("c").InsertOne(ctx, bson.D{}); err == nil {
		t.Fatal("a wrong password authenticated after a restart")
	}
}

// TestAuth_Speculative is the exchange drivers make: hello carries saslSupportedMechs and the client-first
// message (speculativeAuthenticate), and saslContinue finishes the conversation hello began.
func TestAuth_Speculative(t *testing.T) {
	e := newAuthEnv(t, nil)
	e.addUser(t, "alice", "admin", "pw", nil, root)
	r := e.dial(t)
	cl, err := scram.SHA256.NewClient("alice", "pw", "")
	if err != nil {
		t.Fatal(err)
	}
	conv := cl.NewConversation()
	first, _ := conv.Step("")
	reply := mustOK(t, "hello", r.cmd(bson.D{{Key: "hello", Value: 1}, {Key: "saslSupportedMechs", Value: "admin.alice"},
		{Key: "speculativeAuthenticate", Value: bson.D{{Key: "saslStart", Value: 1}, {Key: "mechanism", Value: "SCRAM-SHA-256"},
			{Key: "payload", Value: bson.Binary{Data: []byte(first)}}, {Key: "db", Value: "admin"},
			{Key: "options", Value: bson.D{{Key: "skipEmptyExchange", Value: true}}}}},
		{Key: "$db", Value: "admin"}}))
	mechs, _ := reply.Lookup("saslSupportedMechs").Array().Values()
	if len(mechs) != 2 || mechs[0].StringValue() != "SCRAM-SHA-1" || mechs[1].StringValue() != "SCRAM-SHA-256" {
		t.Errorf("saslSupportedMechs = %v", mechs)
	}
	spec := reply.Lookup("speculativeAuthenticate").Document()
	_, s1 := spec.Lookup("payload").Binary()
	final, err := conv.Step(string(s1))
	if err != nil {
		t.Fatalf("client step on %q: %v", s1, err)
	}
	done := mustOK(t, "saslContinue", r.cmd(bson.D{{Key: "saslContinue", Value: 1}, {Key: "conversationId", Value: spec.Lookup("conversationId").Int32()},
		{Key: "payload", Value: bson.Binary{Data: []byte(final)}}, {Key: "$db", Value: "admin"}}))
	if !done.Lookup("done").Boolean() {
		t.Errorf("saslContinue with skipEmptyExchange did not finish: %v", done)
	}
	_, s2 := done.Lookup("payload").Binary()
	if _, err := conv.Step(string(s2)); err != nil || !conv.Valid() {
		t.Errorf("the server's signature did not verify: %v", err)
	}
	mustOK(t, "find after authentication", r.cmd(bson.D{{Key: "find", Value: "c"}, {Key: "$db", Value: "test"}}))

	unknown := mustOK(t, "hello", e.dial(t).cmd(bson.D{{Key: "hello", Value: 1}, {Key: "saslSupportedMechs", Value: "admin.nobody"}, {Key: "$db", Value: "admin"}}))
	if _, err := unknown.LookupErr("saslSupportedMechs"); err == nil {
		t.Errorf("saslSupportedMechs for an unknown user: %v", unknown)
	}
}

// TestAuth_RoleChangesReachAuthenticatedConnections: a change to a user's roles applies from the next command
// on connections that authenticated before it, as mongod's user cache invalidation makes it: revokeRolesFromUser,
// grantRolesToUser, updateUser and dropUser, each followed by a command on the same pooled connection. A SASL
// conversation begun (and abandoned) on that connection after the change does not make it keep the old roles.
func TestAuth_RoleChangesReachAuthenticatedConnections(t *testing.T) {
	e := newAuthEnv(t, nil)
	ctx := context.Background()
	e.addUser(t, "admin", "admin", "pw", nil, root)
	e.addUser(t, "app", "admin", "pw", nil, auth.RoleName{Role: "readWrite", DB: "shop"})
	admin := connectAs(t, e.addr, "admin", "pw", "").Database("admin")
	app := connectAs(t, e.addr, "app", "pw", "&maxPoolSize=1")
	orders := app.Database("shop").Collection("orders")
	insert := func() error { _, err := orders.InsertOne(ctx, bson.D{}); return err }
	find := func() error {
		if err := orders.FindOne(ctx, bson.D{}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
			return err
		}
		return nil
	}
	// whatsmyuri answers the client's address: the same port means the same connection.
	uri := func() string {
		reply, err := app.Database("admin").RunCommand(ctx, bson.D{{Key: "whatsmyuri", Value: 1}}).Raw()
		if err != nil {
			t.Fatalf("whatsmyuri: %v", err)
		}
		return reply.Lookup("you").StringValue()
	}
	adminCmd := func(d bson.D) {
		t.Helper()
		if err := admin.RunCommand(ctx, d).Err(); err != nil {
			t.Fatalf("%s: %v", d[0].Key, err)
		}
	}
	shopRole := func(role string) bson.A {
		return bson.A{bson.D{{Key: "role", Value: role}, {Key: "db", Value: "shop"}}}
	}
	expect := func(step string, op func() error, want int) {
		t.Helper()
		if got := serverCode(op()); got != want {
			t.Errorf("%s: code %d, want %d", step, got, want)
		}
	}

	if err := insert(); err != nil {
		t.Fatalf("insert as readWrite: %v", err)
	}
	conn := uri()
	adminCmd(bson.D{{Key: "revokeRolesFromUser", Value: "app"}, {Key: "roles", Value: shopRole("readWrite")}})
	expect("insert after revokeRolesFromUser", insert, 13)
	expect("find after revokeRolesFromUser", find, 13)
	adminCmd(bson.D{{Key: "grantRolesToUser", Value: "app"}, {Key: "roles", Value: shopRole("read")}})
	expect("find after grantRolesToUser read", find, 0)
	expect("insert after grantRolesToUser read", insert, 13)
	adminCmd(bson.D{{Key: "updateUser", Value: "app"}, {Key: "roles", Value: shopRole("readWrite")}})
	expect("insert after updateUser readWrite", insert, 0)

	// A conversation started on the connection after a revoke, and never finished, leaves the user as it is
	// now: without the role.
	adminCmd(bson.D{{Key: "revokeRolesFromUser", Value: "app"}, {Key: "roles", Value: shopRole("readWrite")}})
	start := bson.D{{Key: "saslStart", Value: 1}, {Key: "mechanism", Value: "SCRAM-SHA-256"},
		{Key: "payload", Value: bson.Binary{Data: []byte("n,,n=app,r=fyko+d2lbbFgONRv9qkxdawL")}}}
	if err := app.Database("admin").RunCommand(ctx, start).Err(); err != nil {
		t.Fatalf("saslStart: %v", err)
	}
	expect("insert after revoke and an abandoned saslStart", insert, 13)
	adminCmd(bson.D{{Key: "grantRolesToUser", Value: "app"}, {Key: "roles", Value: shopRole("readWrite")}})
	expect("insert after grantRolesToUser readWrite", insert, 0)

	// A dropped user loses every role, and a new user of the same name is another user (another userId).
	adminCmd(bson.D{{Key: "dropUser", Value: "app"}})
	expect("insert after dropUser", insert, 13)
	adminCmd(bson.D{{Key: "createUser", Value: "app"}, {Key: "pwd", Value: "pw"}, {Key: "roles", Value: shopRole("readWrite")}})
	expect("insert after the user was created again", insert, 13)
	if got := uri(); got != conn {
		t.Fatalf("the client reconnected (%s, then %s): the test must run on one connection", conn, got)
	}
}
