package server

import (
	"context"
	"encoding/base64"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/internal/codes"
)

// authCommands are the authentication and user-management commands, merged into the command table at init.
var authCommands = map[string]Command{
	"connectionStatus":         {Handler: handleConnectionStatus},
	"createUser":               {Handler: handleCreateUser},
	"dropAllUsersFromDatabase": {Handler: handleDropAllUsers},
	"dropUser":                 {Handler: handleDropUser},
	"grantRolesToUser":         {Handler: handleGrantRoles},
	"logout":                   {Handler: handleLogout},
	"revokeRolesFromUser":      {Handler: handleRevokeRoles},
	"saslContinue":             {Handler: handleSaslContinue},
	"saslStart":                {Handler: handleSaslStart},
	"updateUser":               {Handler: handleUpdateUser},
	"usersInfo":                {Handler: handleUsersInfo},
}

// parseRoles reads a roles array as mongod accepts it: role names (on the command's database) or {role, db}.
func parseRoles(field string, v bson.RawValue, db string) ([]auth.RoleName, error) {
	arr, ok := v.ArrayOK()
	if !ok {
		return nil, typeMismatch(field, v, "array")
	}
	vals, err := arr.Values()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid %s: %v", field, err)
	}
	roles := []auth.RoleName{}
	for _, e := range vals {
		if s, ok := e.StringValueOK(); ok {
			roles = append(roles, auth.RoleName{Role: s, DB: db})
			continue
		}
		d, ok := e.DocumentOK()
		if !ok {
			return nil, codes.New(codes.BadValue, "Role names must be either strings or objects")
		}
		role, ok1 := d.Lookup("role").StringValueOK()
		rdb, ok2 := d.Lookup("db").StringValueOK()
		if !ok1 || !ok2 {
			return nil, codes.New(codes.BadValue, "Role objects must have a 'role' and a 'db' string field")
		}
		roles = append(roles, auth.RoleName{Role: role, DB: rdb})
	}
	return roles, nil
}

// commandUser reads the user named by the command's first field, in the command's database.
func commandUser(req *Request) (auth.UserName, error) {
	v := req.Body.Index(0).Value()
	name, ok := v.StringValueOK()
	if !ok {
		return auth.UserName{}, typeMismatch(req.Name, v, "string")
	}
	return auth.UserName{User: name, DB: req.DB}, nil
}

// passwordArgs reads pwd, digestPassword and mechanisms of createUser and updateUser.
func passwordArgs(a *cmdArgs) (pwd *string, mechs []string, err error) {
	if a.has("pwd") {
		p, err := a.str("pwd")
		if err != nil {
			return nil, nil, err
		}
		pwd = &p
	}
	digest, err := a.boolean("digestPassword", true)
	if err != nil {
		return nil, nil, err
	}
	if !digest {
		return nil, nil, codes.New(codes.BadValue, "Use of SCRAM-SHA-256 requires undigested passwords")
	}
	if a.has("mechanisms") {
		vals, err := a.array("mechanisms")
		if err != nil {
			return nil, nil, err
		}
		mechs = []string{}
		for _, v := range vals {
			m, ok := v.StringValueOK()
			if !ok {
				return nil, nil, typeMismatch(a.cmd+".mechanisms", v, "string")
			}
			mechs = append(mechs, m)
		}
	}
	return pwd, mechs, nil
}

// handleCreateUser answers createUser: {createUser: name, pwd, roles, customData?, mechanisms?}.
func handleCreateUser(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	name, err := commandUser(req)
	if err != nil {
		return nil, err
	}
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	if err := a.require("roles"); err != nil {
		return nil, err
	}
	roles, err := parseRoles("createUser.roles", a.raw("roles"), req.DB)
	if err != nil {
		return nil, err
	}
	pwd, mechs, err := passwordArgs(a)
	if err != nil {
		return nil, err
	}
	if pwd == nil {
		return nil, codes.New(codes.BadValue, "Must provide a 'pwd' field for all user documents, except those with '$external' as the user's source db")
	}
	custom, err := a.doc("customData")
	if err != nil {
		return nil, err
	}
	return bson.D{}, s.users().CreateUser(ctx, auth.NewUser{Name: name, Password: *pwd, Roles: roles, Mechanisms: mechs, CustomData: custom})
}

// handleUpdateUser answers updateUser: a new pwd (with mechanisms), roles and customData, each optional.
func handleUpdateUser(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	name, err := commandUser(req)
	if err != nil {
		return nil, err
	}
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	var up auth.UserUpdate
	if up.Password, up.Mechanisms, err = passwordArgs(a); err != nil {
		return nil, err
	}
	if a.has("roles") {
		roles, err := parseRoles("updateUser.roles", a.raw("roles"), req.DB)
		if err != nil {
			return nil, err
		}
		up.Roles = &roles
	}
	if up.CustomData, err = a.doc("customData"); err != nil {
		return nil, err
	}
	return bson.D{}, s.users().UpdateUser(ctx, name, up)
}

// handleDropUser answers dropUser.
func handleDropUser(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	name, err := commandUser(req)
	if err != nil {
		return nil, err
	}
	return bson.D{}, s.users().DropUser(ctx, name)
}

// handleDropAllUsers answers dropAllUsersFromDatabase with the number of users dropped.
func handleDropAllUsers(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	n, err := s.users().DropAllUsers(ctx, req.DB)
	if err != nil {
		return nil, err
	}
	return bson.D{{Key: "n", Value: int32(n)}}, nil
}

// handleGrantRoles answers grantRolesToUser.
func handleGrantRoles(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	name, roles, err := userAndRoles(req)
	if err != nil {
		return nil, err
	}
	return bson.D{}, s.users().GrantRoles(ctx, name, roles)
}

// handleRevokeRoles answers revokeRolesFromUser.
func handleRevokeRoles(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	name, roles, err := userAndRoles(req)
	if err != nil {
		return nil, err
	}
	return bson.D{}, s.users().RevokeRoles(ctx, name, roles)
}

// userAndRoles reads {<cmd>: user, roles: [...]}.
func userAndRoles(req *Request) (auth.UserName, []auth.RoleName, error) {
	name, err := commandUser(req)
	if err != nil {
		return name, nil, err
	}
	v, err := req.Body.LookupErr("roles")
	if err != nil {
		return name, nil, codes.New(codeMissingField, "BSON field '%s.roles' is missing but a required field", req.Name)
	}
	roles, err := parseRoles(req.Name+".roles", v, req.DB)
	return name, roles, err
}

// usersInfoTargets reads usersInfo's argument: 1 (the database's users), {forAllDBs: true}, a name, {user, db},
// or an array of names and documents. all is "" for every database, or the database whose users are listed;
// otherwise names lists the users asked for.
func usersInfoTargets(req *Request) (all string, names []auth.UserName, err error) {
	v := req.Body.Index(0).Value()
	if _, ok := v.AsInt64OK(); ok {
		return req.DB, nil, nil
	}
	if d, ok := v.DocumentOK(); ok {
		if b, ok := d.Lookup("forAllDBs").BooleanOK(); ok && b {
			return "", nil, nil
		}
	}
	vals := []bson.RawValue{v}
	if arr, ok := v.ArrayOK(); ok {
		if vals, err = arr.Values(); err != nil {
			return "", nil, codes.New(codes.InvalidBSON, "invalid usersInfo: %v", err)
		}
	}
	names = []auth.UserName{}
	for _, e := range vals {
		if s, ok := e.StringValueOK(); ok {
			names = append(names, auth.UserName{User: s, DB: req.DB})
			continue
		}
		d, ok := e.DocumentOK()
		u, ok1 := d.Lookup("user").StringValueOK()
		db, ok2 := d.Lookup("db").StringValueOK()
		if !ok || !ok1 || !ok2 {
			return "", nil, codes.New(codes.BadValue, "User name must be either a string or an object with 'user' and 'db' string fields")
		}
		names = append(names, auth.UserName{User: u, DB: db})
	}
	return "", names, nil
}

// handleUsersInfo answers usersInfo: the users asked for that exist, in mongod's shape, with credentials only
// when showCredentials is set.
func handleUsersInfo(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	all, names, err := usersInfoTargets(req)
	if err != nil {
		return nil, err
	}
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	showCreds, err := a.boolean("showCredentials", false)
	if err != nil {
		return nil, err
	}
	showCustom, err := a.boolean("showCustomData", true)
	if err != nil {
		return nil, err
	}
	var users []*auth.User
	if names == nil {
		if users, err = s.users().Users(ctx, all); err != nil {
			return nil, err
		}
	}
	for _, n := range names {
		u, err := s.users().User(ctx, n)
		if isCode(err, codes.UserNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	out := bson.A{}
	for _, u := range users {
		out = append(out, userInfo(u, showCreds, showCustom))
	}
	return bson.D{{Key: "users", Value: out}}, nil
}

// userInfo is one entry of usersInfo's reply.
func userInfo(u *auth.User, showCreds, showCustom bool) bson.D {
	d := bson.D{
		{Key: "_id", Value: u.Name.DB + "." + u.Name.User},
		{Key: "userId", Value: bson.Binary{Subtype: bson.TypeBinaryUUID, Data: u.ID[:]}},
		{Key: "user", Value: u.Name.User},
		{Key: "db", Value: u.Name.DB},
	}
	if showCreds {
		creds := bson.D{}
		for _, m := range u.Mechanisms() {
			c := u.Credentials[m]
			creds = append(creds, bson.E{Key: m, Value: bson.D{
				{Key: "iterationCount", Value: int32(c.IterationCount)},
				{Key: "salt", Value: base64.StdEncoding.EncodeToString(c.Salt)},
				{Key: "storedKey", Value: base64.StdEncoding.EncodeToString(c.StoredKey)},
				{Key: "serverKey", Value: base64.StdEncoding.EncodeToString(c.ServerKey)},
			}})
		}
		d = append(d, bson.E{Key: "credentials", Value: creds})
	}
	if showCustom && u.CustomData != nil {
		d = append(d, bson.E{Key: "customData", Value: u.CustomData})
	}
	roles := bson.A{}
	for _, r := range u.Roles {
		roles = append(roles, bson.D{{Key: "role", Value: r.Role}, {Key: "db", Value: r.DB}})
	}
	mechs := bson.A{}
	for _, m := range u.Mechanisms() {
		mechs = append(mechs, m)
	}
	return append(d, bson.E{Key: "roles", Value: roles}, bson.E{Key: "mechanisms", Value: mechs})
}

// redactPassword returns the body of createUser or updateUser with its pwd written "xxx", as mongod shows these
// commands to currentOp; any other body is returned as is.
func redactPassword(name string, body bson.Raw) bson.Raw {
	if name != "createUser" && name != "updateUser" {
		return body
	}
	elems, err := body.Elements()
	if err != nil {
		return body
	}
	d := make(bson.D, 0, len(elems))
	for _, e := range elems {
		if e.Key() == "pwd" {
			d = append(d, bson.E{Key: "pwd", Value: "xxx"})
			continue
		}
		d = append(d, bson.E{Key: e.Key(), Value: e.Value()})
	}
	raw, err := bson.Marshal(d)
	if err != nil {
		return nil
	}
	return raw
}
