package auth_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/internal/codes"
)

func openDB(t *testing.T, dir string) *concord.DB {
	t.Helper()
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db
}

// wantCode fails unless err is a *codes.Error with code want.
func wantCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	e, ok := codes.As(err)
	if !ok || e.Code != want {
		t.Fatalf("error = %v, want code %d (%s)", err, want, want.Name())
	}
}

var alice = auth.UserName{User: "alice", DB: "admin"}

func TestStore_CreateUser_DocumentShape(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, "")
	defer db.Close()
	s := auth.NewStore(db)
	if ok, err := s.HasUsers(ctx); err != nil || ok {
		t.Fatalf("HasUsers on an empty DB = %v, %v", ok, err)
	}
	if err := s.CreateUser(ctx, auth.NewUser{Name: alice, Password: "pw", Roles: []auth.RoleName{{Role: "root", DB: "admin"}}}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	raw, err := db.Database("admin").Collection("system.users").FindOne(ctx, bson.D{}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := raw.Lookup("_id").StringValueOK(); id != "admin.alice" {
		t.Errorf("_id = %q", id)
	}
	if sub, data, ok := raw.Lookup("userId").BinaryOK(); !ok || sub != bson.TypeBinaryUUID || len(data) != 16 {
		t.Errorf("userId = %v", raw.Lookup("userId"))
	}
	for mech, iters := range map[string]int32{"SCRAM-SHA-1": 10000, "SCRAM-SHA-256": 15000} {
		c := raw.Lookup("credentials", mech)
		if n, _ := c.Document().Lookup("iterationCount").Int32OK(); n != iters {
			t.Errorf("%s iterationCount = %d, want %d", mech, n, iters)
		}
		for _, k := range []string{"salt", "storedKey", "serverKey"} {
			if _, ok := c.Document().Lookup(k).StringValueOK(); !ok {
				t.Errorf("%s.%s missing", mech, k)
			}
		}
	}
	if ok, err := s.HasUsers(ctx); err != nil || !ok {
		t.Fatalf("HasUsers after CreateUser = %v, %v", ok, err)
	}
	err = s.CreateUser(ctx, auth.NewUser{Name: alice, Password: "other"})
	wantCode(t, err, codes.UserAlreadyExists)
	if e, _ := codes.As(err); e.Message != `User "alice@admin" already exists` {
		t.Errorf("message = %q", e.Message)
	}
}

func TestStore_CreateUser_Rejects(t *testing.T) {
	db := openDB(t, "")
	defer db.Close()
	s := auth.NewStore(db)
	for _, tc := range []struct {
		name string
		u    auth.NewUser
		code codes.Code
	}{
		{"an empty name", auth.NewUser{Name: auth.UserName{DB: "admin"}, Password: "x"}, codes.BadValue},
		{"an empty password", auth.NewUser{Name: alice}, codes.BadValue},
		{"an unknown mechanism", auth.NewUser{Name: alice, Password: "x", Mechanisms: []string{"PLAIN"}}, codes.BadValue},
		{"an unknown role", auth.NewUser{Name: alice, Password: "x", Roles: []auth.RoleName{{Role: "boss", DB: "admin"}}}, codes.RoleNotFound},
		{"an admin-only role on another database", auth.NewUser{Name: alice, Password: "x", Roles: []auth.RoleName{{Role: "root", DB: "test"}}}, codes.RoleNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, s.CreateUser(context.Background(), tc.u), tc.code)
		})
	}
}

func TestStore_UpdateGrantRevokeDrop(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, "")
	defer db.Close()
	s := auth.NewStore(db)
	bob := auth.UserName{User: "bob", DB: "shop"}
	if err := s.CreateUser(ctx, auth.NewUser{Name: bob, Password: "pw", Roles: []auth.RoleName{{Role: "read", DB: "shop"}}, Mechanisms: []string{auth.SCRAMSHA256}}); err != nil {
		t.Fatal(err)
	}
	gen := s.Generation()
	rw := auth.RoleName{Role: "readWrite", DB: "shop"}
	if err := s.GrantRoles(ctx, bob, []auth.RoleName{rw, rw}); err != nil {
		t.Fatal(err)
	}
	if s.Generation() == gen {
		t.Error("GrantRoles did not move the generation")
	}
	u, err := s.User(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	if want := []auth.RoleName{{Role: "read", DB: "shop"}, rw}; !slices.Equal(u.Roles, want) {
		t.Errorf("roles after grant = %v, want %v", u.Roles, want)
	}
	if err := s.RevokeRoles(ctx, bob, []auth.RoleName{{Role: "read", DB: "shop"}}); err != nil {
		t.Fatal(err)
	}
	old := u.Credentials[auth.SCRAMSHA256]
	pw := "new"
	if err := s.UpdateUser(ctx, bob, auth.UserUpdate{Password: &pw}); err != nil {
		t.Fatal(err)
	}
	u, _ = s.User(ctx, bob)
	if !slices.Equal(u.Roles, []auth.RoleName{rw}) {
		t.Errorf("roles after revoke = %v", u.Roles)
	}
	if got := u.Mechanisms(); !slices.Equal(got, []string{auth.SCRAMSHA256}) {
		t.Errorf("mechanisms after a new password = %v, want the user's own", got)
	}
	if bytes.Equal(u.Credentials[auth.SCRAMSHA256].Salt, old.Salt) {
		t.Error("a new password kept the old salt")
	}
	if _, err := s.Verify(ctx, bob, "new"); err != nil {
		t.Errorf("Verify(new password): %v", err)
	}
	wantCode(t, func() error { _, err := s.Verify(ctx, bob, "pw"); return err }(), codes.AuthenticationFailed)
	wantCode(t, func() error { _, err := s.Verify(ctx, alice, "pw"); return err }(), codes.AuthenticationFailed)

	if err := s.DropUser(ctx, bob); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DropUser(ctx, bob), codes.UserNotFound)
	wantCode(t, s.GrantRoles(ctx, bob, []auth.RoleName{rw}), codes.UserNotFound)
	wantCode(t, func() error { _, err := s.User(ctx, bob); return err }(), codes.UserNotFound)
}

func TestStore_DropAllUsers(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, "")
	defer db.Close()
	s := auth.NewStore(db)
	for _, n := range []auth.UserName{{User: "a", DB: "x"}, {User: "b", DB: "x"}, {User: "c", DB: "y"}} {
		if err := s.CreateUser(ctx, auth.NewUser{Name: n, Password: "p", Mechanisms: []string{auth.SCRAMSHA1}}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DropAllUsers(ctx, "x")
	if err != nil || n != 2 {
		t.Fatalf("DropAllUsers = %d, %v; want 2", n, err)
	}
	all, err := s.Users(ctx, "")
	if err != nil || len(all) != 1 || all[0].Name.User != "c" {
		t.Fatalf("Users after DropAllUsers = %v, %v", all, err)
	}
}

// TestStore_NoPlaintextOnDisk creates a user and reopens the data directory: the user is there, and no file of
// the directory holds the password, in the clear or as MongoDB's legacy digest.
func TestStore_NoPlaintextOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const password = "Correct-Horse-Battery-Staple-7781"
	db := openDB(t, dir)
	if err := auth.NewStore(db).CreateUser(ctx, auth.NewUser{Name: alice, Password: password, Roles: []auth.RoleName{{Role: "root", DB: "admin"}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, dir)
	defer db.Close()
	if _, err := auth.NewStore(db).Verify(ctx, alice, password); err != nil {
		t.Fatalf("Verify after a restart: %v", err)
	}
	secrets := [][]byte{[]byte(password), []byte(auth.PasswordDigest("alice", password))}
	files, seen := 0, false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		seen = seen || bytes.Contains(data, []byte("admin.alice"))
		for _, s := range secrets {
			if bytes.Contains(data, s) {
				t.Errorf("%s contains %q", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 || !seen {
		t.Fatalf("scanned %d files, user document seen: %v; the scan must see the stored user", files, seen)
	}
	if _, err := auth.NewStore(db).User(ctx, alice); errors.Is(err, concord.ErrNoDocuments) || err != nil {
		t.Fatalf("User after a restart: %v", err)
	}
}
