package monitor

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/internal/codes"
)

// verifiedFor is how long a successful check of a user's password is remembered. A Prometheus server scraping
// every few seconds and a dashboard polling every second then cost one SCRAM key derivation (15000 PBKDF2
// iterations at mongod's default) per user and minute rather than one per request.
const verifiedFor = time.Minute

// maxVerified bounds the remembered checks; past it the memory starts afresh.
const maxVerified = 1024

// basicAuth checks HTTP basic auth against the users of a Store: the user (of the admin database) must give its
// password and hold a role that allows serverStatus on the cluster (clusterMonitor, clusterAdmin, root).
//
// A password is checked as SCRAM checks it: the stored salt and iteration count derive the keys, which are
// compared with the stored key (Store.Verify); nothing the server keeps allows recovering the password. A
// success is remembered for verifiedFor under an HMAC of the name and password with a key drawn at start (so
// the memory holds neither the password nor an unkeyed hash of it), and forgotten as soon as any user changes
// (Store.Generation). Key derivations run under an auth.Throttle, so that a flood of wrong passwords cannot take
// every CPU and an address that keeps failing gets its answers late.
type basicAuth struct {
	users    *auth.Store
	throttle *auth.Throttle
	key      [32]byte

	mu       sync.Mutex
	gen      uint64
	verified map[[32]byte]verification
}

// verification is a remembered outcome of a password check.
type verification struct {
	allowed bool
	until   time.Time
}

// newBasicAuth checks users' passwords under throttle; nil means one of its own.
func newBasicAuth(users *auth.Store, throttle *auth.Throttle) *basicAuth {
	if throttle == nil {
		throttle = &auth.Throttle{}
	}
	a := &basicAuth{users: users, throttle: throttle, verified: map[[32]byte]verification{}}
	rand.Read(a.key[:])
	return a
}

// wrap answers 401 with a challenge when the request carries no credentials or wrong ones, 403 when the user
// may not monitor, and serves next otherwise.
func (a *basicAuth) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, password, ok := r.BasicAuth()
		if !ok {
			challenge(w)
			return
		}
		allowed, err := a.check(r.Context(), remoteHost(r), name, password)
		switch {
		case err != nil:
			if e, ok := codes.As(err); ok && e.Code == codes.AuthenticationFailed {
				challenge(w)
				return
			}
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		case !allowed:
			http.Error(w, "user "+name+"@admin is not allowed to monitor the server: it needs the clusterMonitor, clusterAdmin or root role",
				http.StatusForbidden)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// challenge answers 401 and asks for basic auth.
func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="concord", charset="UTF-8"`)
	http.Error(w, "authentication required: a user of the admin database with the clusterMonitor role", http.StatusUnauthorized)
}

// check reports whether name@admin with password may monitor the server; auth.ErrAuthenticationFailed when the
// user does not exist or the password is wrong.
func (a *basicAuth) check(ctx context.Context, host, name, password string) (bool, error) {
	mac := hmac.New(sha256.New, a.key[:])
	mac.Write([]byte(name))
	mac.Write([]byte{0})
	mac.Write([]byte(password))
	var k [32]byte
	mac.Sum(k[:0])

	gen := a.users.Generation()
	now := time.Now()
	a.mu.Lock()
	if a.gen != gen {
		clear(a.verified)
		a.gen = gen
	}
	v, ok := a.verified[k]
	a.mu.Unlock()
	if ok && now.Before(v.until) {
		return v.allowed, nil
	}

	var u *auth.User
	err := a.throttle.Do(ctx, host, func() (bool, error) {
		var err error
		u, err = a.users.Verify(ctx, auth.UserName{User: name, DB: "admin"}, password)
		return err == nil, err
	})
	if err != nil {
		return false, err
	}
	allowed := auth.Allowed(u.Roles, auth.Cluster, auth.ActionServerStatus)
	a.mu.Lock()
	// A user changed during the check: its outcome may be stale, so it is not remembered.
	if a.gen == gen && a.users.Generation() == gen {
		if len(a.verified) >= maxVerified {
			clear(a.verified)
		}
		a.verified[k] = verification{allowed: allowed, until: now.Add(verifiedFor)}
	}
	a.mu.Unlock()
	return allowed, nil
}

// remoteHost is the client's IP address, the unit of the throttle's failure delay.
func remoteHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}
