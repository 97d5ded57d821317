package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"slices"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// UsersDB and UsersCollection locate the users: admin.system.users, as in mongod.
const (
	UsersDB         = "admin"
	UsersCollection = "system.users"
)

// Store keeps users in admin.system.users of a *concord.DB. Every change is one single-document write of the
// engine, so concurrent changes to one user never lose each other (grants and revokes are $addToSet and $pull).
// A Store is safe for concurrent use; it holds no state besides the generation counter, so two Stores over one
// DB see the same users but not each other's generations.
type Store struct {
	db  *concord.DB
	gen atomic.Uint64
}

// NewStore returns the Store of db's users.
func NewStore(db *concord.DB) *Store { return &Store{db: db} }

// Generation increases whenever the Store changes a user: a front end that cached a user's roles reloads them
// once it moved.
func (s *Store) Generation() uint64 { return s.gen.Load() }

func (s *Store) coll() *concord.Collection {
	return s.db.Database(UsersDB).Collection(UsersCollection)
}

// NewUser describes a user to create.
type NewUser struct {
	Name     UserName
	Password string
	Roles    []RoleName
	// Mechanisms are the SCRAM mechanisms to store credentials for; nil means Mechanisms (both).
	Mechanisms []string
	CustomData bson.Raw
}

// CreateUser stores a new user with fresh salted credentials. It fails with BadValue for an empty name or
// password or an unknown mechanism, RoleNotFound for a role that is not a built-in role of its database, and
// Location51003 when the user exists.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) error {
	if nu.Name.User == "" {
		return codes.New(codes.BadValue, "User document needs 'user' field to be non-empty")
	}
	if nu.Name.DB == "" || nu.Name.DB == "$external" {
		return codes.New(codes.BadValue, "Cannot create a SCRAM user on database '%s'", nu.Name.DB)
	}
	if err := checkRoles(nu.Roles); err != nil {
		return err
	}
	u := &User{Name: nu.Name, Roles: dedupRoles(nu.Roles), CustomData: nu.CustomData}
	if _, err := rand.Read(u.ID[:]); err != nil {
		return err
	}
	u.ID[6] = u.ID[6]&0x0f | 0x40 // UUID version 4
	u.ID[8] = u.ID[8]&0x3f | 0x80
	creds, err := credentials(nu.Name.User, nu.Password, nu.Mechanisms)
	if err != nil {
		return err
	}
	u.Credentials = creds
	defer s.gen.Add(1)
	if _, err := s.coll().InsertOne(ctx, userDoc(u)); err != nil {
		if concord.IsDuplicateKey(err) {
			return codes.New(codes.UserAlreadyExists, "User \"%s\" already exists", nu.Name)
		}
		return err
	}
	return nil
}

// credentials derives the credentials of password for mechs (nil: Mechanisms).
func credentials(user, password string, mechs []string) (map[string]Credential, error) {
	if password == "" {
		return nil, codes.New(codes.BadValue, "Password cannot be empty")
	}
	if mechs == nil {
		mechs = Mechanisms
	}
	if len(mechs) == 0 {
		return nil, codes.New(codes.BadValue, "mechanisms field must not be empty")
	}
	creds := map[string]Credential{}
	for _, m := range mechs {
		if m != SCRAMSHA1 && m != SCRAMSHA256 {
			return nil, codes.New(codes.BadValue, "Unknown auth mechanism '%s'", m)
		}
		c, err := newCredential(m, user, password)
		if err != nil {
			return nil, err
		}
		creds[m] = c
	}
	return creds, nil
}

// checkRoles fails with RoleNotFound, in mongod's words, for the first role that is not built in.
func checkRoles(roles []RoleName) error {
	for _, r := range roles {
		if !IsBuiltinRole(r) {
			return codes.New(codes.RoleNotFound, "Could not find role: %s", r)
		}
	}
	return nil
}

// dedupRoles returns roles without repeats, in first-seen order.
func dedupRoles(roles []RoleName) []RoleName {
	out := []RoleName{}
	for _, r := range roles {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// UserUpdate is updateUser's change; nil fields stay as they are.
type UserUpdate struct {
	Password   *string
	Roles      *[]RoleName
	Mechanisms []string
	CustomData bson.Raw
}

// UpdateUser changes a user: a new password replaces every credential (for Mechanisms, or the user's current
// mechanisms), roles replace the roles. It fails with UserNotFound when there is no such user.
func (s *Store) UpdateUser(ctx context.Context, name UserName, up UserUpdate) error {
	set := bson.D{}
	if up.Password != nil {
		mechs := up.Mechanisms
		if mechs == nil {
			u, err := s.User(ctx, name)
			if err != nil {
				return err
			}
			mechs = u.Mechanisms()
		}
		creds, err := credentials(name.User, *up.Password, mechs)
		if err != nil {
			return err
		}
		set = append(set, bson.E{Key: "credentials", Value: credentialsDoc(creds)})
	} else if up.Mechanisms != nil {
		return codes.New(codes.BadValue, "mechanisms field may only be specified with new password")
	}
	if up.Roles != nil {
		if err := checkRoles(*up.Roles); err != nil {
			return err
		}
		set = append(set, bson.E{Key: "roles", Value: rolesArray(dedupRoles(*up.Roles))})
	}
	if up.CustomData != nil {
		set = append(set, bson.E{Key: "customData", Value: up.CustomData})
	}
	if len(set) == 0 {
		return codes.New(codes.BadValue, "Must specify at least one field to update in updateUser")
	}
	return s.update(ctx, name, bson.D{{Key: "$set", Value: set}})
}

// GrantRoles adds roles to a user; roles it already has are kept once.
func (s *Store) GrantRoles(ctx context.Context, name UserName, roles []RoleName) error {
	if err := checkRoles(roles); err != nil {
		return err
	}
	return s.update(ctx, name, bson.D{{Key: "$addToSet", Value: bson.D{{Key: "roles", Value: bson.D{{Key: "$each", Value: rolesArray(roles)}}}}}})
}

// RevokeRoles removes roles from a user; roles it does not have are ignored.
func (s *Store) RevokeRoles(ctx context.Context, name UserName, roles []RoleName) error {
	if err := checkRoles(roles); err != nil {
		return err
	}
	return s.update(ctx, name, bson.D{{Key: "$pull", Value: bson.D{{Key: "roles", Value: bson.D{{Key: "$in", Value: rolesArray(roles)}}}}}})
}

// update applies an update document to the user's document; UserNotFound when there is none.
func (s *Store) update(ctx context.Context, name UserName, update bson.D) error {
	defer s.gen.Add(1)
	res, err := s.coll().UpdateOne(ctx, bson.D{{Key: "_id", Value: name.id()}}, update)
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return userNotFound(name)
	}
	return nil
}

func userNotFound(name UserName) error {
	return codes.New(codes.UserNotFound, "Could not find user \"%s\" for db \"%s\"", name.User, name.DB)
}

// DropUser deletes a user; UserNotFound when there is none.
func (s *Store) DropUser(ctx context.Context, name UserName) error {
	defer s.gen.Add(1)
	res, err := s.coll().DeleteOne(ctx, bson.D{{Key: "_id", Value: name.id()}})
	if err != nil {
		return err
	}
	if res.DeletedCount == 0 {
		return userNotFound(name)
	}
	return nil
}

// DropAllUsers deletes every user of database db and returns how many there were.
func (s *Store) DropAllUsers(ctx context.Context, db string) (int64, error) {
	defer s.gen.Add(1)
	res, err := s.coll().DeleteMany(ctx, bson.D{{Key: "db", Value: db}})
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}

// User returns the user name; UserNotFound when there is none.
func (s *Store) User(ctx context.Context, name UserName) (*User, error) {
	raw, err := s.coll().FindOne(ctx, bson.D{{Key: "_id", Value: name.id()}}).Raw()
	if errors.Is(err, concord.ErrNoDocuments) {
		return nil, userNotFound(name)
	}
	if err != nil {
		return nil, err
	}
	return parseUser(raw)
}

// Users returns the users of database db, or of every database when db is "", ordered by _id.
func (s *Store) Users(ctx context.Context, db string) ([]*User, error) {
	filter := bson.D{}
	if db != "" {
		filter = bson.D{{Key: "db", Value: db}}
	}
	cur, err := s.coll().Find(ctx, filter, &concord.FindOptions{Sort: bson.D{{Key: "_id", Value: 1}}})
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	var out []*User
	for cur.Next(ctx) {
		u, err := parseUser(cur.Current)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, cur.Err()
}

// HasUsers reports whether any user exists: while none does, mongod's localhost exception lets a client on a
// loopback address create the first one.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	err := s.coll().FindOne(ctx, bson.D{}).Err()
	if errors.Is(err, concord.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, err
}

// Verify checks a password given in the clear (HTTP basic auth) against the user's SCRAM-SHA-256 credential, or
// its SCRAM-SHA-1 one when it has no other, and returns the user. Any mismatch, unknown user included, is
// AuthenticationFailed, so that a caller cannot tell which users exist.
func (s *Store) Verify(ctx context.Context, name UserName, password string) (*User, error) {
	u, err := s.User(ctx, name)
	if err != nil {
		if e, ok := codes.As(err); ok && e.Code == codes.UserNotFound {
			return nil, ErrAuthenticationFailed
		}
		return nil, err
	}
	for _, m := range []string{SCRAMSHA256, SCRAMSHA1} {
		c, ok := u.Credentials[m]
		if !ok {
			continue
		}
		got, err := deriveCredential(m, name.User, password, c.Salt, c.IterationCount)
		if err != nil {
			return nil, ErrAuthenticationFailed
		}
		if subtle.ConstantTimeCompare(got.StoredKey, c.StoredKey) == 1 {
			return u, nil
		}
		return nil, ErrAuthenticationFailed
	}
	return nil, ErrAuthenticationFailed
}

// ErrAuthenticationFailed is mongod's answer to every failed authentication, whatever the cause.
var ErrAuthenticationFailed = codes.New(codes.AuthenticationFailed, "Authentication failed.")
