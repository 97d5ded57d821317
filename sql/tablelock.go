package sql

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Table locks, as PostgreSQL takes them: every statement locks the tables it reads (ACCESS SHARE), writes (ROW
// EXCLUSIVE) or changes (DDL: ACCESS EXCLUSIVE for most of it, SHARE for CREATE INDEX), in one of PostgreSQL's eight
// modes, and keeps them until its transaction ends: the statement's own outside a transaction block, the block's
// inside one. A lock that conflicts with one another session holds (or waits for, ahead of it) waits. So DDL waits
// for the transactions using its table and they wait for it: a block's ALTER TABLE ... ADD COLUMN ... NOT NULL
// DEFAULT 0 cannot miss a row another session inserts with the table's old definition, and an INSERT waiting
// behind the ALTER reads the new definition once it commits.
//
// A wait ends when the lock is granted, when the statement is cancelled (statement_timeout, a cancel request),
// after lock_timeout (55P03), or, checked once a wait has lasted deadlockTimeout and every deadlockTimeout after,
// when the session's wait closes a cycle of sessions each waiting for the next (40P01, deadlock detected: the
// session that finds the cycle is the one that fails). LOCK TABLE takes a lock explicitly, with NOWAIT failing at
// once (55P03). The cycle may pass through advisory locks (advisory.go, in the same lock manager) and through
// rows: a statement writing outside a transaction that waits for the transaction of a block owning its document
// (the engine reports it, Session.observeRowWait) waits for that block's session. The locks are kept by the Engine in memory: the sessions of one Engine (one server process) wait
// for each other; writes over the MongoDB port or the embedded API take none.

// lockTag names what a lock is on: a table of a database (db, name), or an advisory lock of a database (db, adv;
// advisory set), which PostgreSQL keeps in the same lock manager, in SHARE or EXCLUSIVE mode.
type lockTag struct {
	db, name string
	adv      advisoryKey
	advisory bool
}

// relTag is the tag of table name in database db.
func relTag(db, name string) lockTag { return lockTag{db: db, name: name} }

// lockMode is a table lock mode, weakest first.
type lockMode uint8

const (
	lockAccessShare lockMode = iota + 1
	lockRowShare
	lockRowExclusive
	lockShareUpdateExclusive
	lockShare
	lockShareRowExclusive
	lockExclusive
	lockAccessExclusive
)

// lockModeNames are the modes as LOCK TABLE spells them.
var lockModeNames = [...]string{"", "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE",
	"SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"}

// lockModeLockNames are the modes as pg_locks and PostgreSQL's messages name them.
var lockModeLockNames = [...]string{"", "AccessShareLock", "RowShareLock", "RowExclusiveLock",
	"ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}

// lockConflicts is PostgreSQL's conflict table: the modes (as bits 1 << mode) each mode conflicts with.
var lockConflicts = func() [9]uint16 {
	b := func(ms ...lockMode) uint16 {
		var m uint16
		for _, x := range ms {
			m |= 1 << x
		}
		return m
	}
	return [9]uint16{
		lockAccessShare:          b(lockAccessExclusive),
		lockRowShare:             b(lockExclusive, lockAccessExclusive),
		lockRowExclusive:         b(lockShare, lockShareRowExclusive, lockExclusive, lockAccessExclusive),
		lockShareUpdateExclusive: b(lockShareUpdateExclusive, lockShare, lockShareRowExclusive, lockExclusive, lockAccessExclusive),
		lockShare:                b(lockRowExclusive, lockShareUpdateExclusive, lockShareRowExclusive, lockExclusive, lockAccessExclusive),
		lockShareRowExclusive:    b(lockRowExclusive, lockShareUpdateExclusive, lockShare, lockShareRowExclusive, lockExclusive, lockAccessExclusive),
		lockExclusive:            b(lockRowShare, lockRowExclusive, lockShareUpdateExclusive, lockShare, lockShareRowExclusive, lockExclusive, lockAccessExclusive),
		lockAccessExclusive:      b(lockAccessShare, lockRowShare, lockRowExclusive, lockShareUpdateExclusive, lockShare, lockShareRowExclusive, lockExclusive, lockAccessExclusive),
	}
}()

// deadlockTimeout is how long a lock wait lasts before the session looks for a deadlock (PostgreSQL's
// deadlock_timeout default), and how often it looks again.
const deadlockTimeout = time.Second

// tableLocks are an Engine's table locks: by table, the sessions holding each and those waiting, first come
// first served. One mutex guards them all, which the deadlock check needs.
type tableLocks struct {
	mu     sync.Mutex
	tables map[lockTag]*lockedTable
	// dbOID gives a database's oid for deadlock messages (nil: 0).
	dbOID func(ctx context.Context, db string) int64
}

// lockedTable is one table's locks: the modes each session holds (bits 1 << mode) and the waits, oldest first.
// count is, by mode, how many sessions hold it, so that a grant with no wait ahead does not visit every holder
// (a busy table has a holder per writing session); setHeld keeps it in step with held.
type lockedTable struct {
	held  map[*Session]uint16
	count [9]int32
	queue []*lockWait
}

// setHeld records that s holds the modes m on t (none: s holds nothing on t).
func (t *lockedTable) setHeld(s *Session, m uint16) {
	old := t.held[s]
	for mode := lockAccessShare; mode <= lockAccessExclusive; mode++ {
		bit := uint16(1) << mode
		switch {
		case old&bit == 0 && m&bit != 0:
			t.count[mode]++
		case old&bit != 0 && m&bit == 0:
			t.count[mode]--
		}
	}
	if m == 0 {
		delete(t.held, s)
	} else {
		t.held[s] = m
	}
}

// conflictHeld reports whether a session other than s holds a mode that conflicts with mode.
func (t *lockedTable) conflictHeld(s *Session, mode lockMode) bool {
	conflicts, own := lockConflicts[mode], t.held[s]
	for m := lockAccessShare; m <= lockAccessExclusive; m++ {
		bit := uint16(1) << m
		if conflicts&bit == 0 {
			continue
		}
		n := t.count[m]
		if own&bit != 0 {
			n--
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// lockWait is a session waiting for a lock.
type lockWait struct {
	s       *Session
	key     lockTag
	mode    lockMode
	granted chan struct{} // closed when the lock is granted
	since   time.Time     // when the wait began (pg_locks.waitstart)
}

// sessionLocks is what a session holds and waits for; the Engine's mutex guards it.
type sessionLocks struct {
	held    map[lockTag]uint16
	waiting *lockWait
	// rowWait is the session whose transaction owns a document this session's statement waits to write (a
	// write outside a transaction waits for the owner to end), nil when none: a deadlock may pass through it.
	rowWait *Session
	// watched is the context the session's statements last ran under, and observedCtx it with the session's
	// row-wait observer (observed).
	watched, observedCtx context.Context
}

// observed returns ctx with the session's writes reporting the transaction they wait for (rowWait), so that a
// cycle of waits through a document is found: an autocommitted UPDATE waiting for a row a block wrote, holding
// its table lock, while the block waits for a lock that conflicts with it. The context is made once per
// connection context.
func (s *Session) observed(ctx context.Context) context.Context {
	if ctx == s.locks.watched && s.locks.observedCtx != nil {
		return s.locks.observedCtx
	}
	s.locks.watched = ctx
	s.locks.observedCtx = s.e.b.observeWaits(ctx, s.observeRowWait)
	return s.locks.observedCtx
}

// observeRowWait records that the session's statement waits for the transaction of the session tag (waiting), or
// no longer waits.
func (s *Session) observeRowWait(tag any, waiting bool) {
	var owner *Session
	if waiting {
		if o, ok := tag.(*Session); ok && o.e == s.e && o != s {
			owner = o
		}
	}
	l := &s.e.locks
	l.mu.Lock()
	s.locks.rowWait = owner
	l.mu.Unlock()
	if s.rowWaitTimer != nil {
		s.rowWaitTimer.Stop()
		s.rowWaitTimer = nil
	}
	if waiting {
		if cancel := s.rowWaitCancel; cancel != nil && s.params.lockTimeout > 0 {
			s.rowWaitTimer = time.AfterFunc(s.params.lockTimeout, func() { cancel(errLockTimeout) })
		}
		s.waiting(waitTransaction, advisoryKey{})
	} else {
		s.waiting(waitNone, advisoryKey{})
	}
}

// blockers are the other sessions a request of mode on t by s waits for: those holding a conflicting mode, and
// (unless before is nil) those waiting ahead of before for one.
func (t *lockedTable) blockers(s *Session, mode lockMode, before *lockWait, fn func(*Session)) {
	conflicts := lockConflicts[mode]
	for o, m := range t.held {
		if o != s && m&conflicts != 0 {
			fn(o)
		}
	}
	if before == nil {
		return
	}
	for _, w := range t.queue {
		if w == before {
			return
		}
		if w.s != s && 1<<w.mode&conflicts != 0 {
			fn(w.s)
		}
	}
}

// grantable reports whether s may have mode on t now: no other session holds a conflicting mode and, unless s
// already holds a lock on t (a session never waits behind a request that waits for it), none waits for one
// ahead of it (ahead of w, or anywhere when w is nil).
func (t *lockedTable) grantable(s *Session, mode lockMode, w *lockWait) bool {
	if t.conflictHeld(s, mode) {
		return false
	}
	if t.held[s] != 0 || len(t.queue) == 0 {
		return true
	}
	conflicts := lockConflicts[mode]
	for _, q := range t.queue {
		if q == w {
			return true
		}
		if q.s != s && 1<<q.mode&conflicts != 0 {
			return false
		}
	}
	return true
}

// grant gives s mode on key.
func (l *tableLocks) grant(t *lockedTable, s *Session, key lockTag, mode lockMode) {
	t.setHeld(s, t.held[s]|1<<mode)
	if s.locks.held == nil {
		s.locks.held = map[lockTag]uint16{}
	}
	s.locks.held[key] |= 1 << mode
}

// wake grants the waits on t that can be granted now, in order.
func (l *tableLocks) wake(t *lockedTable) {
	for i := 0; i < len(t.queue); {
		w := t.queue[i]
		if !t.grantable(w.s, w.mode, w) {
			i++
			continue
		}
		l.grant(t, w.s, w.key, w.mode)
		t.queue = append(t.queue[:i], t.queue[i+1:]...)
		w.s.locks.waiting = nil
		close(w.granted)
	}
}

// tryLock takes mode on key for s if it can without waiting, reporting whether s holds it now.
func (l *tableLocks) tryLock(s *Session, key lockTag, mode lockMode) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.grantNow(s, key, mode)
	return ok
}

// grantNow gives s mode on key if s holds it already or may have it without waiting, reporting whether it does;
// else it returns the key's table, to wait on. l.mu is held.
func (l *tableLocks) grantNow(s *Session, key lockTag, mode lockMode) (*lockedTable, bool) {
	if s.locks.held[key]&(1<<mode) != 0 {
		return nil, true
	}
	if l.tables == nil {
		l.tables = map[lockTag]*lockedTable{}
	}
	t := l.tables[key]
	if t == nil {
		t = &lockedTable{held: map[*Session]uint16{}}
		l.tables[key] = t
	}
	if !t.grantable(s, mode, nil) {
		return t, false
	}
	l.grant(t, s, key, mode)
	return t, true
}

// lock takes mode on key for s, waiting while it conflicts unless nowait; the relation's name is for messages.
// timeout is the session's lock_timeout (0: none).
func (l *tableLocks) lock(ctx context.Context, s *Session, key lockTag, mode lockMode, nowait bool, timeout time.Duration) error {
	l.mu.Lock()
	t, ok := l.grantNow(s, key, mode)
	if ok {
		l.mu.Unlock()
		return nil
	}
	if nowait {
		l.forget(key, t)
		l.mu.Unlock()
		return &Error{Code: CodeLockNotAvailable, Message: fmt.Sprintf("could not obtain lock on relation \"%s\"", key.name)}
	}
	w := &lockWait{s: s, key: key, mode: mode, granted: make(chan struct{}), since: time.Now()}
	t.queue = append(t.queue, w)
	s.locks.waiting = w
	l.mu.Unlock()
	if key.advisory {
		s.waiting(waitAdvisory, key.adv)
	} else {
		s.waiting(waitRelation, advisoryKey{})
	}
	defer s.waiting(waitNone, advisoryKey{})

	var expired <-chan time.Time
	if timeout > 0 {
		tm := time.NewTimer(timeout)
		defer tm.Stop()
		expired = tm.C
	}
	check := time.NewTicker(deadlockTimeout)
	defer check.Stop()
	for {
		select {
		case <-w.granted:
			return nil
		case <-ctx.Done():
			if l.giveUp(w) {
				return ctx.Err()
			}
			return nil
		case <-expired:
			if l.giveUp(w) {
				return &Error{Code: CodeLockNotAvailable, Message: "canceling statement due to lock timeout"}
			}
			return nil
		case <-check.C:
			if path := l.checkDeadlock(w); path != nil {
				return l.deadlockError(ctx, path)
			}
		}
	}
}

// giveUp takes w out of its queue, unless it was granted meanwhile; it reports whether it was still waiting.
func (l *tableLocks) giveUp(w *lockWait) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-w.granted:
		return false
	default:
	}
	l.dequeue(w)
	return true
}

// dequeue removes a wait that will not be granted, and grants those it held back.
func (l *tableLocks) dequeue(w *lockWait) {
	t := l.tables[w.key]
	for i, q := range t.queue {
		if q == w {
			t.queue = append(t.queue[:i], t.queue[i+1:]...)
			break
		}
	}
	w.s.locks.waiting = nil
	l.wake(t)
	l.forget(w.key, t)
}

// idleTables bounds the tables kept with no lock held or awaited, so that a table locked by one statement at a
// time does not cost a new entry for each.
const idleTables = 256

// forget drops t once no one holds or waits for it, when more than idleTables tables are known.
func (l *tableLocks) forget(key lockTag, t *lockedTable) {
	if len(t.held) == 0 && len(t.queue) == 0 && (key.advisory || len(l.tables) > idleTables) {
		delete(l.tables, key)
	}
}

// deadlockStep is one wait of a deadlock's cycle: pid waits for mode on tag (or, row set, for the transaction
// of blocker, which owns a document pid writes), blocked by blocker.
type deadlockStep struct {
	pid, blocker uint32
	mode         lockMode
	tag          lockTag
	row          bool
}

// checkDeadlock ends w's wait when it is part of a cycle of waits (w's session waits for a session that waits ...
// for w's), returning the cycle's waits, w's first; nil when there is none.
func (l *tableLocks) checkDeadlock(w *lockWait) []deadlockStep {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-w.granted:
		return nil
	default:
	}
	path := l.cycle(w.s, w.s, map[*Session]bool{}, nil)
	if path == nil {
		return nil
	}
	steps := make([]deadlockStep, len(path))
	for i, p := range path {
		steps[i] = deadlockStep{pid: p.pid, blocker: path[(i+1)%len(path)].pid}
		if pw := p.locks.waiting; pw != nil {
			steps[i].mode, steps[i].tag = pw.mode, pw.key
		} else {
			steps[i].mode, steps[i].row = lockShare, true
		}
	}
	l.dequeue(w)
	return steps
}

// deadlockError is PostgreSQL's 40P01 for a cycle of waits: a line per wait, as its DETAIL words them (a table by
// name where PostgreSQL gives oids; an advisory lock as its tag: database oid, key, 1 for a bigint key or 2 for a
// pair).
func (l *tableLocks) deadlockError(ctx context.Context, steps []deadlockStep) error {
	var detail []string
	for _, st := range steps {
		what := fmt.Sprintf("relation \"%s\" of database \"%s\"", st.tag.name, st.tag.db)
		switch {
		case st.row:
			what = fmt.Sprintf("the transaction of process %d (a row it wrote)", st.blocker)
		case st.tag.advisory:
			var db int64
			if l.dbOID != nil {
				db = l.dbOID(ctx, st.tag.db)
			}
			k := st.tag.adv
			hi, lo, kind := int64(uint64(k.k1)>>32), int64(uint32(k.k1)), 1
			if k.pair {
				hi, lo, kind = int64(uint32(k.k1)), int64(uint32(k.k2)), 2
			}
			what = fmt.Sprintf("advisory lock [%d,%d,%d,%d]", db, hi, lo, kind)
		}
		detail = append(detail, fmt.Sprintf("Process %d waits for %s on %s; blocked by process %d.",
			st.pid, lockModeLockNames[st.mode], what, st.blocker))
	}
	return &Error{Code: CodeDeadlockDetected, Message: "deadlock detected", Detail: strings.Join(detail, "\n"),
		Hint: "See server log for query details."}
}

// cycle returns the sessions of a cycle of waits from s back to start (s first), or nil. A session waits for the
// holders of a lock it requested (and those waiting for one ahead of it), or for the session whose transaction
// owns a document its statement writes (rowWait).
func (l *tableLocks) cycle(s, start *Session, seen map[*Session]bool, path []*Session) []*Session {
	w := s.locks.waiting
	if w == nil && s.locks.rowWait == nil || seen[s] {
		return nil
	}
	seen[s] = true
	path = append(path, s)
	var found []*Session
	visit := func(o *Session) {
		if found != nil {
			return
		}
		if o == start {
			found = path
			return
		}
		found = l.cycle(o, start, seen, path)
	}
	if w != nil {
		l.tables[w.key].blockers(s, w.mode, w, visit)
	} else {
		visit(s.locks.rowWait)
	}
	return found
}

// release drops every table lock s holds (its transaction ended), and any wait.
func (l *tableLocks) release(s *Session) {
	if len(s.locks.held) == 0 && s.locks.waiting == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := s.locks.waiting; w != nil {
		l.dequeue(w)
	}
	for key := range s.locks.held {
		if key.advisory {
			continue // the session's advisory holds settle their own (advisory.go)
		}
		l.setModes(s, key, 0)
	}
}

// unlockMode drops mode on key from what s holds, and grants the waits it held back.
func (l *tableLocks) unlockMode(s *Session, key lockTag, mode lockMode) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := s.locks.held[key]
	if m&(1<<mode) == 0 {
		return
	}
	l.setModes(s, key, m&^(1<<mode))
}

// setModes makes s hold exactly the modes m on key (none when m is 0), and grants the waits that frees. The
// caller holds l.mu.
func (l *tableLocks) setModes(s *Session, key lockTag, m uint16) {
	t := l.tables[key]
	t.setHeld(s, m)
	if m == 0 {
		delete(s.locks.held, key)
	} else {
		s.locks.held[key] = m
	}
	l.wake(t)
	l.forget(key, t)
}

// holds returns a copy of the modes s holds, by table, for a savepoint to go back to (keepOnly).
func (l *tableLocks) holds(s *Session) map[lockTag]uint16 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(s.locks.held) == 0 {
		return nil
	}
	return maps.Clone(s.locks.held)
}

// keepOnly drops the locks s took since it held keep (from holds), as PostgreSQL releases a subtransaction's
// locks when it aborts (ROLLBACK TO, or an error after a SAVEPOINT), and grants the waits they held back. A
// mode s held before keeps being held.
func (l *tableLocks) keepOnly(s *Session, keep map[lockTag]uint16) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for key, m := range s.locks.held {
		if key.advisory {
			continue // advisory holds go back with their counts (rollbackAdvisory)
		}
		if k := keep[key]; m != k {
			l.setModes(s, key, k)
		}
	}
}

// lockRel takes mode on the relation name of the session's database for the statement's transaction: the
// block's, or the statement's own outside one. Describing a statement takes no locks.
func (x *exec) lockRel(name string, mode lockMode) error {
	return x.lockRelWait(name, mode, false)
}

// lockRelSeen is lockRel for the relation rv a statement reads or writes, which must exist for it (seqOK: a
// sequence will do). When the lock is not free at once and this session can see nothing of that name (a table
// another block created and has not committed, for one), the statement fails with 42P01 at once instead of waiting
// for that block: PostgreSQL looks a name up before it locks it, and an uncommitted table is no one else's to find.
func (x *exec) lockRelSeen(rv *pg.RangeVar, mode lockMode, seqOK bool) error {
	name := rv.Relname
	if x.describe || name == "" || x.s.e.locks.tryLock(x.s, relTag(x.s.database, x.s.storageOf(name)), mode) {
		return nil
	}
	if err := x.unseenRelation(name, rv.Location, seqOK); err != nil {
		return err
	}
	return x.lockRel(name, mode)
}

// unseenRelation is lookupTable's 42P01 for a name this session can see nothing of (no table or view; no sequence
// either, when seqOK), nil when it sees one (or the lookup failed otherwise: the lock and the statement's own
// lookup go on).
func (x *exec) unseenRelation(name string, loc int32, seqOK bool) error {
	_, err := x.lookupTable(name, loc)
	if errCode(err) != CodeUndefinedTable {
		return nil
	}
	if seqOK {
		if _, ok, serr := x.sequenceRelation(name); ok || serr != nil {
			return nil
		}
	}
	return err
}

// lockRelWait is lockRel, failing at once with 55P03 when nowait and the lock is not free.
func (x *exec) lockRelWait(name string, mode lockMode, nowait bool) error {
	if x.describe || name == "" {
		return nil
	}
	err := x.s.e.locks.lock(x.base, x.s, relTag(x.s.database, x.s.storageOf(name)), mode, nowait, x.s.params.lockTimeout)
	if err != nil && x.base.Err() != nil {
		return x.base.Err()
	}
	return err
}

// lockTableStmt runs LOCK [TABLE] name [, ...] [IN mode MODE] [NOWAIT] (pg_dump locks every table it dumps
// IN ACCESS SHARE MODE), only in a transaction block, an implicit one included (25P01 outside one, as
// PostgreSQL refuses it). A name that is not a table or view is 42P01.
func (x *exec) lockTableStmt(ls *pg.LockStmt) (*Result, error) {
	if x.s.status == TxIdle && !x.describe {
		return nil, errorf(CodeNoActiveSQLTransaction, "LOCK TABLE can only be used in transaction blocks")
	}
	mode := lockMode(ls.Mode)
	if mode < lockAccessShare || mode > lockAccessExclusive {
		mode = lockAccessExclusive
	}
	for _, n := range ls.Relations {
		rv := n.GetRangeVar()
		if rv == nil {
			continue
		}
		if rv.Schemaname != "" && rv.Schemaname != "public" {
			return nil, &Error{Code: CodeUndefinedTable, Message: fmt.Sprintf("relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname), Position: int(rv.Location) + 1}
		}
		if _, err := x.lookupTable(rv.Relname, -1); err != nil { // PostgreSQL's error has no position
			return nil, err
		}
		if err := x.lockRelWait(rv.Relname, mode, ls.Nowait); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: "LOCK TABLE"}, nil
}

// statementLocks takes the table locks a DDL statement (or VACUUM, TRUNCATE, LOCK) needs before it reads any
// definition, in PostgreSQL's modes: CREATE INDEX SHARE (CONCURRENTLY: SHARE UPDATE EXCLUSIVE); ALTER TABLE
// ACCESS EXCLUSIVE, but SHARE ROW EXCLUSIVE on both tables when it only adds foreign keys and SHARE UPDATE
// EXCLUSIVE when it only validates constraints; CREATE TABLE SHARE ROW EXCLUSIVE on the tables its foreign
// keys reference; DROP TABLE and DROP VIEW, TRUNCATE, renames and CREATE OR REPLACE VIEW ACCESS EXCLUSIVE;
// VACUUM and ANALYZE SHARE UPDATE EXCLUSIVE (VACUUM FULL ACCESS EXCLUSIVE). DML takes its own as it resolves
// its tables (lockRel).
func (x *exec) statementLocks(n *pg.Node) error {
	if x.describe {
		return nil
	}
	var ws []relLock
	rel := func(rv *pg.RangeVar, mode lockMode) {
		if rv != nil && (rv.Schemaname == "" || rv.Schemaname == "public") {
			ws = append(ws, relLock{rv.Relname, mode})
		}
	}
	fkParents := func(cs []*pg.Node) {
		for _, c := range cs {
			if con := c.GetConstraint(); con != nil && con.Contype == pg.ConstrType_CONSTR_FOREIGN {
				rel(con.Pktable, lockShareRowExclusive)
			}
		}
	}
	switch {
	case n.GetIndexStmt() != nil:
		is := n.GetIndexStmt()
		mode := lockShare
		if is.Concurrent {
			mode = lockShareUpdateExclusive
		}
		rel(is.Relation, mode)
	case n.GetAlterTableStmt() != nil:
		as := n.GetAlterTableStmt()
		if as.Objtype != pg.ObjectType_OBJECT_TABLE && as.Objtype != pg.ObjectType_OBJECT_VIEW {
			return nil
		}
		mode := lockMode(0)
		for _, c := range as.Cmds {
			cmd := c.GetAlterTableCmd()
			m := lockAccessExclusive
			switch {
			case cmd == nil:
				continue
			case cmd.Subtype == pg.AlterTableType_AT_ValidateConstraint:
				m = lockShareUpdateExclusive
			case cmd.Subtype == pg.AlterTableType_AT_AddConstraint && cmd.Def.GetConstraint().GetContype() == pg.ConstrType_CONSTR_FOREIGN:
				m = lockShareRowExclusive
				fkParents([]*pg.Node{cmd.Def})
			}
			mode = max(mode, m)
		}
		if mode != 0 {
			rel(as.Relation, mode)
		}
	case n.GetCreateStmt() != nil:
		cs := n.GetCreateStmt()
		fkParents(cs.Constraints)
		for _, e := range cs.TableElts {
			if cd := e.GetColumnDef(); cd != nil {
				fkParents(cd.Constraints)
			}
		}
	case n.GetDropStmt() != nil:
		ds := n.GetDropStmt()
		if ds.RemoveType != pg.ObjectType_OBJECT_TABLE && ds.RemoveType != pg.ObjectType_OBJECT_VIEW {
			return nil
		}
		for _, o := range ds.Objects {
			items := o.GetList().GetItems()
			if len(items) == 0 || len(items) == 2 && items[0].GetString_().GetSval() != "public" {
				continue
			}
			ws = append(ws, relLock{items[len(items)-1].GetString_().GetSval(), lockAccessExclusive})
		}
	case n.GetTruncateStmt() != nil:
		for _, r := range n.GetTruncateStmt().Relations {
			rel(r.GetRangeVar(), lockAccessExclusive)
		}
	case n.GetRenameStmt() != nil:
		rel(n.GetRenameStmt().Relation, lockAccessExclusive)
	case n.GetViewStmt() != nil:
		if vs := n.GetViewStmt(); vs.Replace {
			rel(vs.View, lockAccessExclusive)
		}
	case n.GetVacuumStmt() != nil:
		mode := lockShareUpdateExclusive
		for _, o := range n.GetVacuumStmt().Options {
			if d := o.GetDefElem(); d != nil && d.Defname == "full" {
				mode = lockAccessExclusive
			}
		}
		for _, r := range n.GetVacuumStmt().Rels {
			rel(r.GetVacuumRelation().GetRelation(), mode)
		}
	}
	for _, w := range ws {
		if err := x.lockRelDDL(w.name, w.mode); err != nil {
			return err
		}
	}
	return nil
}

// lockRelDDL is lockRel for a relation DDL names. When the lock is not free at once and this session can see
// nothing of that name (a table another block created and has not committed), the statement does not wait for
// that block: the name is recorded as unseen, so that the statement's own lookup reports it missing (42P01, or
// IF EXISTS's notice), as PostgreSQL's lookup before the lock does, even if the block commits meanwhile.
func (x *exec) lockRelDDL(name string, mode lockMode) error {
	if x.describe || name == "" || x.s.e.locks.tryLock(x.s, relTag(x.s.database, x.s.storageOf(name)), mode) {
		return nil
	}
	if x.unseenRelation(name, -1, true) != nil {
		if x.unseen == nil {
			x.unseen = map[string]bool{}
		}
		x.unseen[name] = true
		return nil
	}
	return x.lockRel(name, mode)
}

// relLock is a table a statement locks, and the mode.
type relLock struct {
	name string
	mode lockMode
}

// execLocks lists the tables statement n reads or writes with the modes its execution takes on them, for a
// prepared statement to take before it is revalidated (lockForExecute): the targets of its INSERT, UPDATE and
// DELETE ROW EXCLUSIVE, the tables a SELECT ... FOR UPDATE / SHARE reads ROW SHARE, every other table it names
// ACCESS SHARE. CTE names and the catalogs are left out. No mode is stronger than the one the execution takes,
// so taking them first adds no wait.
func execLocks(n *pg.Node) []relLock {
	ctes := map[string]bool{}
	modes := map[*pg.RangeVar]lockMode{}
	var order []*pg.RangeVar // as the statement names them, as PostgreSQL locks its range table
	set := func(rv *pg.RangeVar, m lockMode) {
		if rv == nil || rv.Relname == "" {
			return
		}
		if _, ok := modes[rv]; !ok {
			order = append(order, rv)
		}
		modes[rv] = max(modes[rv], m)
	}
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		switch v := m.Interface().(type) {
		case *pg.CommonTableExpr:
			ctes[v.Ctename] = true
		case *pg.InsertStmt:
			set(v.Relation, lockRowExclusive)
		case *pg.UpdateStmt:
			set(v.Relation, lockRowExclusive)
		case *pg.DeleteStmt:
			set(v.Relation, lockRowExclusive)
		case *pg.SelectStmt:
			if len(v.LockingClause) > 0 {
				for _, f := range v.FromClause {
					walk(f.ProtoReflect(), func(m protoreflect.Message) bool {
						if rv, ok := m.Interface().(*pg.RangeVar); ok {
							set(rv, lockRowShare)
						}
						return false
					})
				}
			}
		case *pg.RangeVar:
			set(v, lockAccessShare)
		}
		return false
	})
	var out []relLock
	seen := map[string]int{}
	for _, rv := range order {
		m := modes[rv]
		switch rv.Schemaname {
		case "", "public":
		default:
			continue
		}
		if rv.Schemaname == "" && (ctes[rv.Relname] || isCatalogName(rv.Relname)) {
			continue
		}
		if i, ok := seen[rv.Relname]; ok {
			out[i].mode = max(out[i].mode, m)
			continue
		}
		seen[rv.Relname] = len(out)
		out = append(out, relLock{rv.Relname, m})
	}
	return out
}

// lockForExecute takes the locks of execLocks for a prepared statement about to run, as PostgreSQL takes a
// cached plan's locks before it checks the plan is still valid: DDL that commits while the execution waits is
// then seen by revalidate (0A000 when the result columns changed) instead of being run past the columns the
// client was given. The locks belong to the statement's transaction, as those the execution takes do.
func (s *Session) lockForExecute(ctx context.Context, st *statement) error {
	st.execLocksOnce.Do(func() { st.execLocks = execLocks(st.raw.Stmt) })
	for _, l := range st.execLocks {
		if err := s.e.locks.lock(ctx, s, relTag(s.database, s.storageOf(l.name)), l.mode, false, s.params.lockTimeout); err != nil {
			return err
		}
	}
	return nil
}
