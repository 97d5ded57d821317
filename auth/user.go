package auth

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/xdg-go/scram"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// The SCRAM mechanisms, by the names MongoDB and PostgreSQL use.
const (
	SCRAMSHA1   = "SCRAM-SHA-1"
	SCRAMSHA256 = "SCRAM-SHA-256"
)

// Mechanisms are the mechanisms a new user gets credentials for when createUser names none, in mongod's order.
var Mechanisms = []string{SCRAMSHA1, SCRAMSHA256}

// Iteration counts of new credentials: mongod's defaults (scramIterationCount, scramSHA256IterationCount).
const (
	IterationsSHA1   = 10000
	IterationsSHA256 = 15000
)

// UserName names a user: a name within the database that holds its credentials (its authentication database).
type UserName struct {
	User string
	DB   string
}

// String returns the name as mongod writes it in messages: "user@db".
func (n UserName) String() string { return n.User + "@" + n.DB }

// id is the _id of the user's document in admin.system.users: "db.user".
func (n UserName) id() string { return n.DB + "." + n.User }

// RoleName names a role granted on a database: {role: "readWrite", db: "shop"}.
type RoleName struct {
	Role string
	DB   string
}

// String returns the name as mongod writes it in messages: "role@db".
func (r RoleName) String() string { return r.Role + "@" + r.DB }

// Credential is one mechanism's stored SCRAM credential: enough to check a proof, nothing to recover the password.
type Credential struct {
	IterationCount int
	Salt           []byte
	StoredKey      []byte
	ServerKey      []byte
}

// User is one user as stored. Its fields are a copy owned by the caller.
type User struct {
	Name UserName
	// ID is the userId mongod generates: a random UUID telling apart users created under the same name.
	ID          [16]byte
	Roles       []RoleName
	Credentials map[string]Credential
	// CustomData is createUser's customData, nil when none.
	CustomData bson.Raw
}

// Mechanisms returns the mechanisms the user has credentials for, sorted.
func (u *User) Mechanisms() []string {
	var out []string
	for m := range u.Credentials {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// HasRole reports whether r is granted to the user directly.
func (u *User) HasRole(r RoleName) bool { return slices.Contains(u.Roles, r) }

// saltLength is mongod's salt length for a mechanism: the hash length less 4 bytes (16 for SHA-1, 28 for SHA-256).
func saltLength(mech string) int {
	if mech == SCRAMSHA1 {
		return 16
	}
	return 28
}

// scramClient returns the SCRAM client whose salted password a credential is derived from. SCRAM-SHA-1 hashes
// MongoDB's legacy digest, hex(md5(user + ":mongo:" + password)), as drivers do; SCRAM-SHA-256 hashes the
// SASLprep form of the password itself, which is also what PostgreSQL's SCRAM-SHA-256 hashes.
func scramClient(mech, user, password string) (*scram.Client, error) {
	switch mech {
	case SCRAMSHA1:
		return scram.SHA1.NewClientUnprepped(user, PasswordDigest(user, password), "")
	case SCRAMSHA256:
		c, err := scram.SHA256.NewClient(user, password, "")
		if err != nil {
			return nil, codes.New(codes.BadValue, "Error preparing password for SCRAM-SHA-256: %v", err)
		}
		return c, nil
	}
	return nil, codes.New(codes.BadValue, "Unknown auth mechanism '%s'", mech)
}

// PasswordDigest is MongoDB's legacy password digest, hex(md5(user + ":mongo:" + password)): the password
// SCRAM-SHA-1 works on, on both sides.
func PasswordDigest(user, password string) string {
	h := md5.Sum([]byte(user + ":mongo:" + password))
	return hex.EncodeToString(h[:])
}

// newCredential derives a fresh credential for mech with a random salt and mongod's iteration count.
func newCredential(mech, user, password string) (Credential, error) {
	iters := IterationsSHA256
	if mech == SCRAMSHA1 {
		iters = IterationsSHA1
	}
	salt := make([]byte, saltLength(mech))
	if _, err := rand.Read(salt); err != nil {
		return Credential{}, err
	}
	return deriveCredential(mech, user, password, salt, iters)
}

// deriveCredential computes the credential of password under salt and iters.
func deriveCredential(mech, user, password string, salt []byte, iters int) (Credential, error) {
	c, err := scramClient(mech, user, password)
	if err != nil {
		return Credential{}, err
	}
	sc, err := c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(salt), Iters: iters})
	if err != nil {
		return Credential{}, err
	}
	return Credential{IterationCount: iters, Salt: salt, StoredKey: sc.StoredKey, ServerKey: sc.ServerKey}, nil
}

// stored returns the credential in xdg-go/scram's form.
func (c Credential) stored() scram.StoredCredentials {
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(c.Salt), Iters: c.IterationCount},
		StoredKey:  c.StoredKey,
		ServerKey:  c.ServerKey,
	}
}

// credentialsDoc is the credentials field of a user document, as mongod writes it: base64 strings per mechanism.
func credentialsDoc(creds map[string]Credential) bson.D {
	var d bson.D
	for _, m := range []string{SCRAMSHA1, SCRAMSHA256} {
		c, ok := creds[m]
		if !ok {
			continue
		}
		d = append(d, bson.E{Key: m, Value: bson.D{
			{Key: "iterationCount", Value: int32(c.IterationCount)},
			{Key: "salt", Value: base64.StdEncoding.EncodeToString(c.Salt)},
			{Key: "storedKey", Value: base64.StdEncoding.EncodeToString(c.StoredKey)},
			{Key: "serverKey", Value: base64.StdEncoding.EncodeToString(c.ServerKey)},
		}})
	}
	return d
}

// rolesArray is the roles field of a user document: [{role, db}, ...].
func rolesArray(roles []RoleName) bson.A {
	a := bson.A{}
	for _, r := range roles {
		a = append(a, bson.D{{Key: "role", Value: r.Role}, {Key: "db", Value: r.DB}})
	}
	return a
}

// userDoc is the document of u in admin.system.users, in mongod's shape.
func userDoc(u *User) bson.D {
	d := bson.D{
		{Key: "_id", Value: u.Name.id()},
		{Key: "userId", Value: bson.Binary{Subtype: bson.TypeBinaryUUID, Data: u.ID[:]}},
		{Key: "user", Value: u.Name.User},
		{Key: "db", Value: u.Name.DB},
		{Key: "credentials", Value: credentialsDoc(u.Credentials)},
		{Key: "roles", Value: rolesArray(u.Roles)},
	}
	if u.CustomData != nil {
		d = append(d, bson.E{Key: "customData", Value: u.CustomData})
	}
	return d
}

// parseUser reads a user document. A document that does not have the shape is an error: it was not written by
// Store, and guessing what it grants would be worse than refusing it.
func parseUser(raw bson.Raw) (*User, error) {
	var doc struct {
		UserID      bson.Binary `bson:"userId"`
		User        string      `bson:"user"`
		DB          string      `bson:"db"`
		Credentials bson.Raw    `bson:"credentials"`
		Roles       []struct {
			Role string `bson:"role"`
			DB   string `bson:"db"`
		} `bson:"roles"`
		CustomData bson.Raw `bson:"customData"`
	}
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("auth: malformed user document: %w", err)
	}
	u := &User{Name: UserName{User: doc.User, DB: doc.DB}, CustomData: doc.CustomData, Credentials: map[string]Credential{}}
	copy(u.ID[:], doc.UserID.Data)
	for _, r := range doc.Roles {
		u.Roles = append(u.Roles, RoleName(r))
	}
	if doc.Credentials != nil {
		elems, err := doc.Credentials.Elements()
		if err != nil {
			return nil, fmt.Errorf("auth: malformed credentials of %s: %w", u.Name, err)
		}
		for _, e := range elems {
			var c struct {
				IterationCount int32  `bson:"iterationCount"`
				Salt           string `bson:"salt"`
				StoredKey      string `bson:"storedKey"`
				ServerKey      string `bson:"serverKey"`
			}
			if err := e.Value().Unmarshal(&c); err != nil {
				return nil, fmt.Errorf("auth: malformed %s credential of %s: %w", e.Key(), u.Name, err)
			}
			var cred Credential
			var err1, err2, err3 error
			cred.IterationCount = int(c.IterationCount)
			cred.Salt, err1 = base64.StdEncoding.DecodeString(c.Salt)
			cred.StoredKey, err2 = base64.StdEncoding.DecodeString(c.StoredKey)
			cred.ServerKey, err3 = base64.StdEncoding.DecodeString(c.ServerKey)
			if err1 != nil || err2 != nil || err3 != nil || cred.IterationCount <= 0 {
				return nil, fmt.Errorf("auth: malformed %s credential of %s", e.Key(), u.Name)
			}
			u.Credentials[e.Key()] = cred
		}
	}
	return u, nil
}
