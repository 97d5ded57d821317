package auth

import "slices"

// actionSet is a set of actions, bit a for Action a.
type actionSet uint64

func (s actionSet) has(a Action) bool { return s&(1<<a) != 0 }

// setOf returns the set of actions.
func setOf(actions []Action) actionSet {
	var s actionSet
	for _, a := range actions {
		s |= 1 << a
	}
	return s
}

// Privileges is what a set of roles grants, compiled for checking: a front end compiles a user's roles once,
// when the user authenticates and again whenever the Store's generation moves (a role granted or revoked, the
// user updated or dropped), and then checks every command against the compiled set with a few comparisons and no
// allocation. Its answers are exactly those of Allowed and AnyPrivilegeOn over the same roles. A Privileges is
// never modified once compiled, so it may be shared between goroutines.
type Privileges struct {
	// all is root's privilege: every action on every resource, the cluster included.
	all bool
	// cluster are the actions on the cluster.
	cluster actionSet
	// anyNormal are the actions on every database and every normal (non-system) collection.
	anyNormal actionSet
	// anyNS are the actions on a collection of a given name in any database (system.users, system.profile).
	anyNS []collActions
	// dbs are the actions held through roles of one database, one entry per database.
	dbs []dbActions
	// anyDB is set when some privilege covers resources of every database (AnyOn).
	anyDB bool
}

// collActions are actions on the collections named coll.
type collActions struct {
	coll    string
	actions actionSet
}

// dbActions are the privileges of roles held on database db: normal on the database and its normal
// collections, ns on single collections of it.
type dbActions struct {
	db     string
	normal actionSet
	ns     []collActions
}

// Compile compiles the privileges of roles; roles that are not built-in roles of their database grant nothing,
// as in Allowed.
func Compile(roles []RoleName) *Privileges {
	p := &Privileges{}
	for _, role := range roles {
		if !IsBuiltinRole(role) {
			continue
		}
		for _, priv := range roleDefs[role.Role].privs {
			set := setOf(priv.actions)
			switch priv.pat {
			case patAny:
				p.all, p.anyDB = true, true
			case patCluster:
				p.cluster |= set
			case patAnyNormal:
				p.anyNormal |= set
				p.anyDB = true
			case patAnyNS:
				p.anyNS = addColl(p.anyNS, priv.coll, set)
				p.anyDB = true
			case patDB:
				d := p.db(role.DB)
				d.normal |= set
			case patNS:
				d := p.db(role.DB)
				d.ns = addColl(d.ns, priv.coll, set)
			}
		}
	}
	return p
}

// db returns the entry of database name, adding it when there is none.
func (p *Privileges) db(name string) *dbActions {
	i := slices.IndexFunc(p.dbs, func(d dbActions) bool { return d.db == name })
	if i < 0 {
		p.dbs = append(p.dbs, dbActions{db: name})
		i = len(p.dbs) - 1
	}
	return &p.dbs[i]
}

// addColl adds actions on collection coll to list.
func addColl(list []collActions, coll string, set actionSet) []collActions {
	for i := range list {
		if list[i].coll == coll {
			list[i].actions |= set
			return list
		}
	}
	return append(list, collActions{coll: coll, actions: set})
}

// Allowed reports whether the privileges grant action a on resource r, as Allowed does for the roles they were
// compiled from. A nil Privileges grants nothing.
func (p *Privileges) Allowed(r Resource, a Action) bool { return p.held(r).has(a) }

// AllowedAll reports whether the privileges grant every one of actions on resource r.
func (p *Privileges) AllowedAll(r Resource, actions []Action) bool {
	want := setOf(actions)
	return p.held(r)&want == want
}

// held returns the actions the privileges grant on r.
func (p *Privileges) held(r Resource) actionSet {
	switch {
	case p == nil:
		return 0
	case p.all:
		return ^actionSet(0)
	case r.Cluster:
		return p.cluster
	}
	var set actionSet
	normal := r.isNormal()
	if normal {
		set = p.anyNormal
	}
	for _, c := range p.anyNS {
		if c.coll == r.Collection {
			set |= c.actions
		}
	}
	for i := range p.dbs {
		d := &p.dbs[i]
		if d.db != r.DB {
			continue
		}
		if normal {
			set |= d.normal
		}
		for _, c := range d.ns {
			if c.coll == r.Collection {
				set |= c.actions
			}
		}
		break
	}
	return set
}

// AnyOn reports whether the privileges grant some action on database db, as AnyPrivilegeOn does for the roles
// they were compiled from.
func (p *Privileges) AnyOn(db string) bool {
	if p == nil {
		return false
	}
	if p.anyDB {
		return true
	}
	for i := range p.dbs {
		if p.dbs[i].db == db {
			return true
		}
	}
	return false
}
