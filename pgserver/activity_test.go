package pgserver_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/concorddb/concord/auth"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// runActivity runs, against Concord and PostgreSQL 15 (TestCompare_*), the statements on pg_stat_activity,
// pg_locks and the signal functions whose answers do not depend on pids or times: the views' columns and
// types, a session's own row, its own table lock, and the answers for a pid that is no session's.
func runActivity(t *testing.T, who, url string) {
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	var notices []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		notices = append(notices, n.Severity+" "+n.Code+": "+n.Message)
	}
	cfg.RuntimeParams["application_name"] = "activity-compare"
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)

	for _, s := range []struct{ sql, want string }{
		{"SELECT * FROM pg_stat_activity LIMIT 0", "datid:26 datname:19 pid:23 leader_pid:23 usesysid:26 usename:19 " +
			"application_name:25 client_addr:869 client_hostname:25 client_port:23 backend_start:1184 xact_start:1184 " +
			"query_start:1184 state_change:1184 wait_event_type:25 wait_event:25 state:25 backend_xid:28 backend_xmin:28 " +
			"query_id:20 query:25 backend_type:25"},
		{"SELECT * FROM pg_locks LIMIT 0", "locktype:25 database:26 relation:26 page:23 tuple:21 virtualxid:25 " +
			"transactionid:28 classid:26 objid:26 objsubid:21 virtualtransaction:25 pid:23 mode:25 granted:16 " +
			"fastpath:16 waitstart:1184"},
	} {
		rows, err := c.Query(ctx, s.sql, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatalf("%s: %s: %v", who, s.sql, err)
		}
		var cols []string
		for _, f := range rows.FieldDescriptions() {
			cols = append(cols, fmt.Sprintf("%s:%d", f.Name, f.DataTypeOID))
		}
		rows.Close()
		if got := strings.Join(cols, " "); got != s.want {
			t.Errorf("%s: %s\n got: %s\nwant: %s", who, s.sql, got, s.want)
		}
	}

	steps := []struct{ sql, want, notice string }{
		{sql: "SELECT state, wait_event_type, wait_event, backend_type, application_name, query, xact_start = query_start, " +
			"client_addr IS NOT NULL, client_port > 0, backend_start <= query_start, usename = current_user, datname = current_database() " +
			"FROM pg_stat_activity WHERE pid = pg_backend_pid()",
			want: "active|||client backend|activity-compare|SELECT state, wait_event_type, wait_event, backend_type, application_name, query, xact_start = query_start, " +
				"client_addr IS NOT NULL, client_port > 0, backend_start <= query_start, usename = current_user, datname = current_database() " +
				"FROM pg_stat_activity WHERE pid = pg_backend_pid()|t|t|t|t|t|t\nSELECT 1"},
		{sql: "SELECT pg_cancel_backend(2147483647)", want: "f\nSELECT 1", notice: "WARNING 01000: PID 2147483647 is not a PostgreSQL backend process"},
		{sql: "SELECT pg_terminate_backend(2147483647)", want: "f\nSELECT 1", notice: "WARNING 01000: PID 2147483647 is not a PostgreSQL backend process"},
		{sql: "SELECT pg_terminate_backend(2147483647, -1)", want: "ERROR 22003: \"timeout\" must not be negative"},
		{sql: "SELECT pg_cancel_backend(NULL), pg_blocking_pids(NULL) IS NULL", want: "|t\nSELECT 1"},
		{sql: "SELECT pg_blocking_pids(2147483647), pg_blocking_pids(pg_backend_pid())", want: "{}|{}\nSELECT 1"},
		{sql: "CREATE TABLE actc (id int4 PRIMARY KEY)", want: "CREATE TABLE"},
		{sql: "BEGIN", want: "BEGIN"},
		{sql: "LOCK TABLE actc IN SHARE MODE", want: "LOCK TABLE"},
		{sql: "SELECT state, xact_start < query_start FROM pg_stat_activity WHERE pid = pg_backend_pid()", want: "active|t\nSELECT 1"},
		{sql: "SELECT locktype, database = (SELECT oid FROM pg_database WHERE datname = current_database()), mode, granted, fastpath, waitstart " +
			"FROM pg_locks WHERE pid = pg_backend_pid() AND relation = (SELECT oid FROM pg_class WHERE relname = 'actc')",
			want: "relation|t|ShareLock|t|f|\nSELECT 1"},
		{sql: "SELECT pg_cancel_backend(pg_backend_pid())", want: "ERROR 57014: canceling statement due to user request"},
		{sql: "SELECT state FROM pg_stat_activity WHERE pid = pg_backend_pid()", want: "ERROR 25P02: current transaction is aborted, commands ignored until end of transaction block"},
		{sql: "ROLLBACK", want: "ROLLBACK"},
		{sql: "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND relation = (SELECT oid FROM pg_class WHERE relname = 'actc')", want: "0\nSELECT 1"},
		{sql: "DROP TABLE actc", want: "DROP TABLE"},
	}
	for _, s := range steps {
		notices = nil
		got, err := renderSimple(c, s.sql, nil)
		if err != nil {
			got = errText(err)
		}
		if got != s.want {
			t.Errorf("%s: %s\n got: %q\nwant: %q", who, s.sql, got, s.want)
		}
		if n := strings.Join(notices, "\n"); n != s.notice {
			t.Errorf("%s: %s: notices %q, want %q", who, s.sql, n, s.notice)
		}
	}
}

// activityRow reads the pg_stat_activity row of pid as "state|wait_event_type|wait_event|query".
func activityRow(t *testing.T, c *pgx.Conn, pid uint32) string {
	t.Helper()
	var s string
	err := c.QueryRow(context.Background(), "SELECT concat_ws('|', coalesce(state, ''), coalesce(wait_event_type, ''), "+
		"coalesce(wait_event, ''), coalesce(query, '')) FROM pg_stat_activity WHERE pid = $1", int32(pid)).Scan(&s)
	if errors.Is(err, pgx.ErrNoRows) {
		return "(none)"
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor polls cond until it holds, failing the test after five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A session blocked by another's LOCK TABLE shows waiting in pg_stat_activity and pg_locks, pg_blocking_pids
// names the holder, pg_cancel_backend ends the wait with 57014, and pg_terminate_backend ends the holder's
// connection (FATAL 57P01 for its next statement) and frees the waiter.
func TestActivity_LockWaitCancelTerminate(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	holder, waiter, watcher := connect(t, url), connect(t, url), connect(t, url)
	hpid, wpid := holder.PgConn().PID(), waiter.PgConn().PID()
	mustExec(t, watcher, "CREATE TABLE aw (id int8 PRIMARY KEY)")
	mustExec(t, holder, "BEGIN")
	mustExec(t, holder, "LOCK TABLE aw IN ACCESS EXCLUSIVE MODE")

	wait := func() chan error {
		done := make(chan error, 1)
		go func() {
			_, err := waiter.Exec(ctx, "SELECT count(*) FROM aw")
			done <- err
		}()
		waitFor(t, "the waiter to wait", func() bool { return strings.HasPrefix(activityRow(t, watcher, wpid), "active|Lock|relation|") })
		return done
	}
	done := wait()
	if got, want := activityRow(t, watcher, wpid), "active|Lock|relation|SELECT count(*) FROM aw"; got != want {
		t.Errorf("waiter's activity %q, want %q", got, want)
	}
	if got, want := activityRow(t, watcher, hpid), "idle in transaction|||LOCK TABLE aw IN ACCESS EXCLUSIVE MODE"; got != want {
		t.Errorf("holder's activity %q, want %q", got, want)
	}
	var locks string
	err := watcher.QueryRow(ctx, "SELECT string_agg(concat_ws(' ', locktype, pid = $1, mode, granted, waitstart IS NOT NULL), ', ' ORDER BY granted DESC) "+
		"FROM pg_locks WHERE relation = (SELECT oid FROM pg_class WHERE relname = 'aw')", int32(hpid)).Scan(&locks)
	if err != nil {
		t.Fatal(err)
	}
	if want := "relation t AccessExclusiveLock t f, relation f AccessShareLock f t"; locks != want {
		t.Errorf("pg_locks: %q, want %q", locks, want)
	}
	var blocking []int32
	if err := watcher.QueryRow(ctx, "SELECT pg_blocking_pids($1)", int32(wpid)).Scan(&blocking); err != nil {
		t.Fatal(err)
	}
	if len(blocking) != 1 || blocking[0] != int32(hpid) {
		t.Errorf("pg_blocking_pids(waiter) = %v, want [%d]", blocking, hpid)
	}

	var ok bool
	if err := watcher.QueryRow(ctx, "SELECT pg_cancel_backend($1)", int32(wpid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_cancel_backend: %v %v", ok, err)
	}
	select {
	case err := <-done:
		if sqlState(err) != "57014" {
			t.Errorf("cancelled wait: %v, want 57014", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pg_cancel_backend did not end the wait")
	}
	if got, want := activityRow(t, watcher, wpid), "idle|||SELECT count(*) FROM aw"; got != want {
		t.Errorf("waiter's activity after the cancel %q, want %q", got, want)
	}

	done = wait()
	if err := watcher.QueryRow(ctx, "SELECT pg_terminate_backend($1)", int32(hpid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend: %v %v", ok, err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the waiter, freed: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pg_terminate_backend did not free the waiter")
	}
	_, err = holder.Exec(ctx, "SELECT 1")
	if err == nil {
		t.Fatal("the terminated holder's next statement succeeded")
	}
	if code := sqlState(err); code != "" && code != "57P01" {
		t.Errorf("terminated holder: %v, want 57P01 or a closed connection", err)
	}
	waitFor(t, "the holder to leave pg_stat_activity", func() bool { return activityRow(t, watcher, hpid) == "(none)" })
}

// A session terminated while it runs a statement gets FATAL 57P01 in place of its result, and its connection
// closes.
func TestActivity_TerminateRunning(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	holder, victim, watcher := connect(t, url), connect(t, url), connect(t, url)
	vpid := victim.PgConn().PID()
	mustExec(t, watcher, "CREATE TABLE at (id int8 PRIMARY KEY)")
	mustExec(t, holder, "BEGIN")
	mustExec(t, holder, "LOCK TABLE at")
	done := make(chan error, 1)
	go func() {
		_, err := victim.Exec(ctx, "INSERT INTO at VALUES (1)")
		done <- err
	}()
	waitFor(t, "the victim to wait", func() bool { return strings.HasPrefix(activityRow(t, watcher, vpid), "active|Lock|relation|") })
	mustExec(t, watcher, "SELECT pg_terminate_backend($1, 5000)", int32(vpid))
	var pe *pgconn.PgError
	if err := <-done; !errors.As(err, &pe) || pe.Code != "57P01" || pe.Severity != "FATAL" ||
		pe.Message != "terminating connection due to administrator command" {
		t.Fatalf("terminated while waiting: %v, want FATAL 57P01", err)
	}
	if !victim.IsClosed() {
		t.Error("the terminated connection is still open")
	}
	if got := activityRow(t, watcher, vpid); got != "(none)" {
		t.Errorf("terminated session still in pg_stat_activity: %q", got)
	}
	mustExec(t, holder, "COMMIT")
}

// pg_stat_activity follows a session through its states, with xact_start set inside a block only, and an
// advisory lock wait shows as Lock/advisory with its holder in pg_blocking_pids.
func TestActivity_States(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	s, watcher := connect(t, url), connect(t, url)
	pid := s.PgConn().PID()
	xact := func() bool {
		var set bool
		if err := watcher.QueryRow(ctx, "SELECT xact_start IS NOT NULL FROM pg_stat_activity WHERE pid = $1", int32(pid)).Scan(&set); err != nil {
			t.Fatal(err)
		}
		return set
	}
	for _, step := range []struct {
		sql, want string
		xact      bool
	}{
		{"SELECT 1", "idle|||SELECT 1", false},
		{"BEGIN", "idle in transaction|||BEGIN", true},
		{"SELECT 1/0", "idle in transaction (aborted)|||SELECT 1/0", true},
		{"ROLLBACK", "idle|||ROLLBACK", false},
		{"SET application_name = 'states'", "idle|||SET application_name = 'states'", false},
	} {
		_, _ = s.Exec(ctx, step.sql, pgx.QueryExecModeSimpleProtocol)
		if got := activityRow(t, watcher, pid); got != step.want {
			t.Errorf("after %s: %q, want %q", step.sql, got, step.want)
		}
		if got := xact(); got != step.xact {
			t.Errorf("after %s: xact_start set %v, want %v", step.sql, got, step.xact)
		}
	}
	var app string
	if err := watcher.QueryRow(ctx, "SELECT application_name FROM pg_stat_activity WHERE pid = $1", int32(pid)).Scan(&app); err != nil || app != "states" {
		t.Errorf("application_name %q %v, want states", app, err)
	}

	mustExec(t, watcher, "SELECT pg_advisory_lock(42)")
	done := make(chan error, 1)
	go func() {
		_, err := s.Exec(ctx, "SELECT pg_advisory_lock(42)")
		done <- err
	}()
	waitFor(t, "the advisory wait", func() bool { return strings.HasPrefix(activityRow(t, watcher, pid), "active|Lock|advisory|") })
	var blocking []int32
	var locks string
	if err := watcher.QueryRow(ctx, "SELECT pg_blocking_pids($1)", int32(pid)).Scan(&blocking); err != nil {
		t.Fatal(err)
	}
	if len(blocking) != 1 || blocking[0] != int32(watcher.PgConn().PID()) {
		t.Errorf("pg_blocking_pids = %v, want the holder %d", blocking, watcher.PgConn().PID())
	}
	if err := watcher.QueryRow(ctx, "SELECT string_agg(concat_ws(' ', classid, objid, objsubid, mode, granted), ', ' ORDER BY granted DESC) "+
		"FROM pg_locks WHERE locktype = 'advisory'").Scan(&locks); err != nil {
		t.Fatal(err)
	}
	if want := "0 42 1 ExclusiveLock t, 0 42 1 ExclusiveLock f"; locks != want {
		t.Errorf("advisory pg_locks %q, want %q", locks, want)
	}
	mustExec(t, watcher, "SELECT pg_advisory_unlock(42)")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := activityRow(t, watcher, pid); got != "idle|||SELECT pg_advisory_lock(42)" {
		t.Errorf("after the advisory wait: %q", got)
	}
}

// With --auth a user sees and signals its own sessions; another user's show "<insufficient privilege>" and
// refuse signals, unless the user's roles grant inprog (clusterMonitor) and killop (hostManager).
func TestActivity_Privileges(t *testing.T) {
	e := newAuthEnv(t, nil)
	e.addUser(t, "alice", "pw", auth.RoleName{Role: "readWrite", DB: "shop"})
	e.addUser(t, "bob", "pw", auth.RoleName{Role: "readWrite", DB: "shop"})
	e.addUser(t, "ops", "pw", auth.RoleName{Role: "readWrite", DB: "shop"}, auth.RoleName{Role: "clusterMonitor", DB: "admin"},
		auth.RoleName{Role: "hostManager", DB: "admin"})
	ctx := context.Background()
	alice, alice2 := e.mustConnect(t, "alice", "pw", "shop"), e.mustConnect(t, "alice", "pw", "shop")
	bob, ops := e.mustConnect(t, "bob", "pw", "shop"), e.mustConnect(t, "ops", "pw", "shop")
	apid := alice2.PgConn().PID()
	mustExec(t, alice2, "SELECT 42")
	query := func(c *pgx.Conn) string {
		var q string
		if err := c.QueryRow(ctx, "SELECT coalesce(query, '') || '|' || coalesce(backend_type, '') FROM pg_stat_activity WHERE pid = $1", int32(apid)).Scan(&q); err != nil {
			t.Fatal(err)
		}
		return q
	}
	for _, c := range []struct {
		who  string
		c    *pgx.Conn
		want string
	}{{"alice", alice, "SELECT 42|client backend"}, {"bob", bob, "<insufficient privilege>|"}, {"ops", ops, "SELECT 42|client backend"}} {
		if got := query(c.c); got != c.want {
			t.Errorf("%s sees %q, want %q", c.who, got, c.want)
		}
	}
	_, err := bob.Exec(ctx, "SELECT pg_cancel_backend($1)", int32(apid))
	if pe := pgError(t, err); pe.Code != "42501" || pe.Message != "must be a member of the role whose query is being canceled or member of pg_signal_backend" {
		t.Errorf("bob cancelling alice's session: %v", err)
	}
	_, err = bob.Exec(ctx, "SELECT pg_terminate_backend($1)", int32(apid))
	if pe := pgError(t, err); pe.Code != "42501" || pe.Message != "must be a member of the role whose process is being terminated or member of pg_signal_backend" {
		t.Errorf("bob terminating alice's session: %v", err)
	}
	mustExec(t, alice, "SELECT pg_cancel_backend($1)", int32(apid))
	mustExec(t, ops, "SELECT pg_terminate_backend($1, 5000)", int32(apid))
	if _, err := alice2.Exec(ctx, "SELECT 1"); err == nil {
		t.Error("alice's session terminated by ops still runs statements")
	}
}

// SET application_name shows in pg_stat_activity at once, as in PostgreSQL, while the rest of its query string
// runs: a monitor (or pg_terminate_backend) finds the session by it. Before, the new name showed only once the
// whole string had run.
func TestActivity_AppNameMidQuery(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	app, watcher := connect(t, url), connect(t, url)
	done := make(chan error, 1)
	go func() {
		_, err := app.PgConn().Exec(ctx, "SET application_name = 'mid_query'; SELECT pg_sleep(1.5)").ReadAll()
		done <- err
	}()
	waitFor(t, "the running session to show its new application_name", func() bool {
		var n int
		err := watcher.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'mid_query' AND state = 'active'").Scan(&n)
		return err == nil && n == 1
	})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
