package auth_test

import (
	"context"
	"fmt"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/auth"
)

// A front end creates a user, checks a password given in the clear (HTTP basic auth) and asks whether the
// user's roles allow an action.
func Example() {
	ctx := context.Background()
	db, err := concord.Open("", nil)
	if err != nil {
		panic(err)
	}
	defer db.Close()
	users := auth.NewStore(db)
	ops := auth.UserName{User: "ops", DB: "admin"}
	err = users.CreateUser(ctx, auth.NewUser{Name: ops, Password: "s3cret", Roles: []auth.RoleName{{Role: "clusterMonitor", DB: "admin"}}})
	if err != nil {
		panic(err)
	}
	if _, err := users.Verify(ctx, ops, "wrong"); err != nil {
		fmt.Println(err)
	}
	u, err := users.Verify(ctx, ops, "s3cret")
	if err != nil {
		panic(err)
	}
	fmt.Println(u.Name, u.Mechanisms())
	fmt.Println("serverStatus:", auth.Allowed(u.Roles, auth.Cluster, auth.ActionServerStatus))
	fmt.Println("find shop.orders:", auth.Allowed(u.Roles, auth.Namespace("shop", "orders"), auth.ActionFind))
	// Output:
	// AuthenticationFailed (18): Authentication failed.
	// ops@admin [SCRAM-SHA-1 SCRAM-SHA-256]
	// serverStatus: true
	// find shop.orders: false
}
