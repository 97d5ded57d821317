package sql

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// pg_stat_activity, pg_locks, pg_blocking_pids, pg_cancel_backend and pg_terminate_backend: what the Engine's
// sessions are doing and waiting for, and ending it (activity.go keeps what they publish).
//
// Privileges follow PostgreSQL's, as Concord's authorization can express them. A session without an
// Authorizer (the embedded driver, a server without --auth) is a superuser: it sees every session's details
// and may signal any session. A session with one sees the details (query, state, times, wait, client) of its
// own user's sessions, and of the others' only when its Authorizer grants PrivReadAllStats (pg_read_all_stats;
// the PostgreSQL port maps it to MongoDB's inprog action on the cluster); it may cancel or terminate its own
// user's sessions, and the others' only when granted PrivSignalBackend (pg_signal_backend; MongoDB's killop),
// and never a superuser's.

// oidXID is the type of transaction ids (pg_stat_activity.backend_xid, pg_locks.transactionid), which Concord
// shows only as NULL.
const oidXID uint32 = 28

func init() {
	catalogNames["pg_stat_activity"] = true
	catalogNames["pg_locks"] = true
}

// statRelation answers pg_stat_activity and pg_locks (ok false for any other name).
func (x *exec) statRelation(schema, name string) (rel *relation, ok bool, err error) {
	if schema != "" && schema != "pg_catalog" || name != "pg_stat_activity" && name != "pg_locks" {
		return nil, false, nil
	}
	if name == "pg_stat_activity" {
		rel, err = x.statActivity()
	} else {
		rel, err = x.pgLocks()
	}
	return rel, true, err
}

// databaseOIDs are the oids pg_database shows, by database name.
func (x *exec) databaseOIDs() (map[string]int64, error) {
	return x.s.e.databaseOIDs(x.base)
}

// databaseOIDBase is the oid of the first database pg_database lists; the others follow in its order.
const databaseOIDBase = 20000

// databaseOIDs are the oids pg_database shows, by database name.
func (e *Engine) databaseOIDs(ctx context.Context) (map[string]int64, error) {
	names, err := e.b.listDatabaseNames(ctx)
	if err != nil {
		return nil, err
	}
	oids := make(map[string]int64, len(names))
	for i, n := range names {
		oids[n] = int64(databaseOIDBase + i)
	}
	return oids, nil
}

// seesDetails reports whether the session may see the details of sessions of user.
func (x *exec) seesDetails(user string) bool {
	return x.s.authorize == nil || user == x.s.userName || x.s.authorize(x.s.database, Access{Privilege: PrivReadAllStats})
}

// statActivity builds pg_stat_activity: PostgreSQL 15's columns, one row per live session of the Engine, in
// every database. Concord has no parallel workers, transaction ids or query ids (NULL), no host names
// (NULL); usesysid is pg_roles' oid of the current user, NULL for the others.
func (x *exec) statActivity() (*relation, error) {
	rel := &relation{}
	for _, c := range []struct {
		name string
		oid  uint32
	}{{"datid", OIDOID}, {"datname", OIDName}, {"pid", OIDInt4}, {"leader_pid", OIDInt4}, {"usesysid", OIDOID},
		{"usename", OIDName}, {"application_name", OIDText}, {"client_addr", OIDInet}, {"client_hostname", OIDText},
		{"client_port", OIDInt4}, {"backend_start", OIDTimestamptz}, {"xact_start", OIDTimestamptz},
		{"query_start", OIDTimestamptz}, {"state_change", OIDTimestamptz}, {"wait_event_type", OIDText},
		{"wait_event", OIDText}, {"state", OIDText}, {"backend_xid", oidXID}, {"backend_xmin", oidXID},
		{"query_id", OIDInt8}, {"query", OIDText}, {"backend_type", OIDText}} {
		rel.cols = append(rel.cols, relCol{name: c.name, oid: c.oid})
	}
	if x.describe {
		return rel, nil
	}
	dbs, err := x.databaseOIDs()
	if err != nil {
		return nil, err
	}
	for _, s := range x.s.e.sessions.all() {
		v := s.view()
		row := make([]any, len(rel.cols))
		if oid, ok := dbs[v.database]; ok {
			row[0] = oid
		}
		row[1], row[2] = v.database, int64(v.pid)
		if v.user == x.s.userName {
			row[4] = int64(10)
		}
		row[5], row[6] = v.user, v.appName
		if !x.seesDetails(v.user) {
			row[20] = "<insufficient privilege>" // and the other details NULL, backend_type too, as PostgreSQL 15 shows them
			rel.rows = append(rel.rows, row)
			continue
		}
		row[21] = "client backend"
		if v.clientAddr != "" {
			row[7], row[9] = any(v.clientAddr), int64(v.clientPort)
			if in, err := parseInet(v.clientAddr, false); err == nil {
				row[7] = in
			}
		} else if v.clientPort == -1 {
			row[9] = int64(-1) // a Unix-domain socket's client, as PostgreSQL shows one
		}
		row[10], row[11], row[12], row[13] = v.backendStart, timeOrNull(v.xactStart), timeOrNull(v.queryStart), v.stateChange
		if v.wait != waitNone {
			row[14], row[15] = "Lock", waitEventNames[v.wait]
		}
		row[16], row[20] = stateNames[v.state], v.query
		rel.rows = append(rel.rows, row)
	}
	return rel, nil
}

// timeOrNull is t, or NULL for the zero time.
func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// lockRow is one row of pg_locks before its oids are known.
type lockRow struct {
	pid      uint32
	db       string
	table    string      // a relation lock's table
	key      advisoryKey // an advisory lock's key
	advisory bool
	mode     string
	granted  bool
	since    time.Time // a wait's start
}

// pgLocks builds pg_locks: PostgreSQL 15's columns, one row per table lock mode a session holds or waits for
// (locktype relation; relation is pg_class' oid for the tables of the current database, NULL for other
// databases') and per advisory lock mode held or awaited (locktype advisory, ShareLock or ExclusiveLock; a bigint key as classid
// its high half, objid its low half and objsubid 1, a pair of integers as classid, objid and objsubid 2). Row
// locks (SELECT ... FOR UPDATE), transaction ids and virtual transactions do not show; fastpath is false.
func (x *exec) pgLocks() (*relation, error) {
	rel := &relation{}
	for _, c := range []struct {
		name string
		oid  uint32
	}{{"locktype", OIDText}, {"database", OIDOID}, {"relation", OIDOID}, {"page", OIDInt4}, {"tuple", OIDInt2},
		{"virtualxid", OIDText}, {"transactionid", oidXID}, {"classid", OIDOID}, {"objid", OIDOID},
		{"objsubid", OIDInt2}, {"virtualtransaction", OIDText}, {"pid", OIDInt4}, {"mode", OIDText},
		{"granted", OIDBool}, {"fastpath", OIDBool}, {"waitstart", OIDTimestamptz}} {
		rel.cols = append(rel.cols, relCol{name: c.name, oid: c.oid})
	}
	if x.describe {
		return rel, nil
	}
	locks := x.s.e.lockRows()
	dbs, err := x.databaseOIDs()
	if err != nil {
		return nil, err
	}
	tables, _, err := x.relationNames()
	if err != nil {
		return nil, err
	}
	tableOIDs := make(map[string]int64, len(tables))
	for i, t := range tables {
		tableOIDs[t] = tableOID(i)
	}
	for _, l := range locks {
		row := make([]any, len(rel.cols))
		row[0] = "relation"
		if oid, ok := dbs[l.db]; ok {
			row[1] = oid
		}
		if l.advisory {
			row[0] = "advisory"
			if l.key.pair {
				row[7], row[8], row[9] = int64(uint32(l.key.k1)), int64(uint32(l.key.k2)), int64(2)
			} else {
				row[7], row[8], row[9] = int64(uint64(l.key.k1)>>32), int64(uint32(l.key.k1)), int64(1)
			}
		} else if oid, ok := tableOIDs[l.table]; ok && l.db == x.s.database {
			row[2] = oid
		}
		row[11], row[12], row[13], row[14] = int64(l.pid), l.mode, l.granted, false
		if !l.granted {
			row[15] = l.since
		}
		rel.rows = append(rel.rows, row)
	}
	return rel, nil
}

// lockRows lists the table and advisory locks the Engine's sessions hold and wait for, by pid, the held ones
// first, each lock's modes weakest first.
func (e *Engine) lockRows() []lockRow {
	var out []lockRow
	e.locks.mu.Lock()
	for key, t := range e.locks.tables {
		row := lockRow{db: key.db, table: key.name, key: key.adv, advisory: key.advisory}
		for s, modes := range t.held {
			for m := lockAccessShare; m <= lockAccessExclusive; m++ {
				if modes&(1<<m) != 0 {
					r := row
					r.pid, r.mode, r.granted = s.pid, lockModeLockNames[m], true
					out = append(out, r)
				}
			}
		}
		for _, w := range t.queue {
			r := row
			r.pid, r.mode, r.since = w.s.pid, lockModeLockNames[w.mode], w.since
			out = append(out, r)
		}
	}
	e.locks.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.pid != b.pid:
			return a.pid < b.pid
		case a.granted != b.granted:
			return a.granted
		case a.advisory != b.advisory:
			return !a.advisory
		case a.table != b.table:
			return a.table < b.table
		case a.key != b.key:
			return a.key.k1 < b.key.k1 || a.key.k1 == b.key.k1 && a.key.k2 < b.key.k2
		}
		return lockModeRank(a.mode) < lockModeRank(b.mode)
	})
	return out
}

// lockModeRank orders lock mode names weakest first.
func lockModeRank(name string) int {
	for i, n := range lockModeLockNames {
		if n == name {
			return i
		}
	}
	return len(lockModeLockNames)
}

// blockingPIDs are the pids of the sessions s waits for: those holding a table or advisory lock in a mode that
// conflicts with the one s waits for, or waiting for one ahead of it, or whose transaction owns a document s
// waits to write; ascending, each once.
func (e *Engine) blockingPIDs(s *Session) []any {
	seen := map[uint32]bool{}
	e.locks.mu.Lock()
	if w := s.locks.waiting; w != nil {
		if t := e.locks.tables[w.key]; t != nil {
			before := w
			if t.held[s] != 0 {
				before = nil // a session holding a lock on the table does not queue behind the others (grantable)
			}
			t.blockers(s, w.mode, before, func(o *Session) { seen[o.pid] = true })
		}
	}
	if o := s.locks.rowWait; o != nil {
		seen[o.pid] = true
	}
	e.locks.mu.Unlock()
	pids := make([]uint32, 0, len(seen))
	for p := range seen {
		pids = append(pids, p)
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	out := make([]any, len(pids))
	for i, p := range pids {
		out[i] = int64(p)
	}
	return out
}

// activityFunc runs pg_blocking_pids(pid), pg_cancel_backend(pid) and pg_terminate_backend(pid [, timeout]).
// A pid that is no live session's: pg_blocking_pids answers an empty array, the others false with PostgreSQL's
// warning. The signals answer true once sent: a cancel reaches only a running statement, as in PostgreSQL.
func (x *exec) activityFunc(name string, args []any) (any, error) {
	if len(args) != 1 && !(name == "pg_terminate_backend" && len(args) == 2) {
		return nil, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	if x.describe {
		return nil, nil
	}
	p, err := coerce(args[0], OIDInt4)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, nil
	}
	pid := toInt64(p)
	target := x.s.e.sessions.lookup(pid)
	if name == "pg_blocking_pids" {
		if target == nil {
			return []any{}, nil
		}
		return x.s.e.blockingPIDs(target), nil
	}
	var timeout int64
	if len(args) == 2 {
		t, err := coerce(args[1], OIDInt8)
		if err != nil {
			return nil, err
		}
		if t == nil {
			return nil, nil
		}
		if timeout = toInt64(t); timeout < 0 {
			return nil, errorf(CodeNumericOutOfRange, "\"timeout\" must not be negative")
		}
	}
	if target == nil {
		x.warn(errorf("01000", "PID %d is not a PostgreSQL backend process", pid))
		return false, nil
	}
	sig := SignalCancel
	if name == "pg_terminate_backend" {
		sig = SignalTerminate
	}
	if err := x.maySignal(target, sig); err != nil {
		return nil, err
	}
	target.signal(sig)
	switch {
	case target == x.s && sig == SignalCancel:
		return nil, AsError(x.canceled()) // PostgreSQL's backend cancels its own statement at once
	case target == x.s:
		return nil, errTerminated()
	case timeout > 0:
		return x.awaitTermination(target, time.Duration(timeout)*time.Millisecond), nil
	}
	return true, nil
}

// canceled is the error of a statement cancelled by its own session.
func (x *exec) canceled() error {
	return &Error{Code: CodeQueryCanceled, Message: "canceling statement due to user request"}
}

// maySignal fails with 42501 when the session may not send sig to target (the rules are in the comment at the
// top of this file), with PostgreSQL 15's messages.
func (x *exec) maySignal(target *Session, sig Signal) error {
	if x.s.authorize == nil {
		return nil
	}
	target.act.mu.Lock()
	superuser := !target.act.restricted
	target.act.mu.Unlock()
	switch {
	case superuser && sig == SignalCancel:
		return errorf(CodeInsufficientPrivilege, "must be a superuser to cancel superuser query")
	case superuser:
		return errorf(CodeInsufficientPrivilege, "must be a superuser to terminate superuser process")
	case target.userName == x.s.userName || x.s.authorize(x.s.database, Access{Privilege: PrivSignalBackend}):
		return nil
	case sig == SignalCancel:
		return errorf(CodeInsufficientPrivilege, "must be a member of the role whose query is being canceled or member of pg_signal_backend")
	}
	return errorf(CodeInsufficientPrivilege, "must be a member of the role whose process is being terminated or member of pg_signal_backend")
}

// awaitTermination waits up to d for target to close (pg_terminate_backend's timeout), reporting whether it
// did; it warns when it did not, as PostgreSQL does.
func (x *exec) awaitTermination(target *Session, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if x.s.e.sessions.lookup(int64(target.pid)) != target {
			return true
		}
		if time.Now().After(deadline) || x.ctx.Err() != nil {
			x.warn(&Error{Code: "01000", Message: fmt.Sprintf("backend with PID %d did not terminate within %d milliseconds", target.pid, d.Milliseconds())})
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
