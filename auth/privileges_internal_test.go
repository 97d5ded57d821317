package auth

import (
	"cmp"
	"slices"
	"testing"
)

// TestCompileMatchesAllowed checks that compiled privileges answer exactly as Allowed and AnyPrivilegeOn over
// the same roles: every built-in role on several databases, alone and in pairs, with unknown roles mixed in,
// against every action on the cluster, whole databases, normal and system collections.
func TestCompileMatchesAllowed(t *testing.T) {
	dbs := []string{"admin", "shop", "other"}
	var single []RoleName
	for _, name := range append(BuiltinRoles(), "boss") {
		for _, db := range dbs {
			single = append(single, RoleName{Role: name, DB: db})
		}
	}
	slices.SortFunc(single, func(a, b RoleName) int {
		return cmp.Or(cmp.Compare(a.Role, b.Role), cmp.Compare(a.DB, b.DB))
	})
	sets := [][]RoleName{nil}
	for i, a := range single {
		sets = append(sets, []RoleName{a})
		for _, b := range single[i+1:] {
			sets = append(sets, []RoleName{a, b})
		}
	}
	sets = append(sets, []RoleName{{"read", "shop"}, {"dbAdmin", "shop"}, {"userAdminAnyDatabase", "admin"}},
		[]RoleName{{"clusterMonitor", "admin"}, {"dbOwner", "other"}, {"readWrite", "shop"}, {"read", "shop"}})
	resources := []Resource{Cluster}
	for _, db := range append(dbs, "") {
		resources = append(resources, Database(db))
		for _, coll := range []string{"orders", "system.users", "system.profile", "system.views", "system"} {
			resources = append(resources, Namespace(db, coll))
		}
	}
	checks := 0
	for _, roles := range sets {
		p := Compile(roles)
		for _, r := range resources {
			for a := Action(0); a < numActions; a++ {
				if got, want := p.Allowed(r, a), Allowed(roles, r, a); got != want {
					t.Fatalf("Compile(%v).Allowed(%v, %s) = %v, Allowed = %v", roles, r, a, got, want)
				}
				checks++
			}
			for b := Action(0); b < numActions; b++ {
				pair := []Action{ActionUpdate, b}
				if got, want := p.AllowedAll(r, pair), Allowed(roles, r, ActionUpdate) && Allowed(roles, r, b); got != want {
					t.Fatalf("Compile(%v).AllowedAll(%v, %v) = %v, Allowed says %v", roles, r, pair, got, want)
				}
			}
		}
		for _, db := range append(dbs, "") {
			if got, want := p.AnyOn(db), AnyPrivilegeOn(roles, db); got != want {
				t.Fatalf("Compile(%v).AnyOn(%q) = %v, AnyPrivilegeOn = %v", roles, db, got, want)
			}
		}
	}
	if checks < 100000 {
		t.Fatalf("only %d checks", checks)
	}
	var none *Privileges
	if none.Allowed(Namespace("shop", "orders"), ActionFind) || none.AnyOn("shop") || none.AllowedAll(Cluster, []Action{ActionTop}) {
		t.Error("nil Privileges grant something")
	}
}

// TestActionNames checks that every action has mongod's name and fits in an actionSet.
func TestActionNames(t *testing.T) {
	if numActions > 64 {
		t.Fatalf("%d actions do not fit in an actionSet", numActions)
	}
	seen := map[string]bool{}
	for a := Action(0); a < numActions; a++ {
		name := a.String()
		if name == "" || seen[name] {
			t.Errorf("action %d is named %q", a, name)
		}
		seen[name] = true
	}
	if ActionSetFCV.String() != "setFeatureCompatibilityVersion" || ActionFind.String() != "find" {
		t.Errorf("names: %s, %s", ActionSetFCV, ActionFind)
	}
}

// BenchmarkAllowed compares the check over roles with the check over compiled privileges, for a readWrite user
// updating a collection: what access control costs a command.
func BenchmarkAllowed(b *testing.B) {
	roles := []RoleName{{Role: "read", DB: "reports"}, {Role: "readWrite", DB: "shop"}}
	r := Namespace("shop", "orders")
	b.Run("roles", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !Allowed(roles, r, ActionUpdate) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("compiled", func(b *testing.B) {
		p := Compile(roles)
		b.ReportAllocs()
		for b.Loop() {
			if !p.Allowed(r, ActionUpdate) {
				b.Fatal("refused")
			}
		}
	})
}
