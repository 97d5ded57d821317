package server

import (
	"context"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
)

// profileCollection is the collection the database profiler writes to, as in mongod.
const profileCollection = "system.profile"

// defaultSlowMS is mongod's default slowOpThresholdMs.
const defaultSlowMS = 100

// maxProfileEntries bounds system.profile per database. mongod makes it a 1 MB capped collection; Concord's
// profiler writes an ordinary collection and deletes the oldest entries itself, checking every profileTrimEvery
// writes.
const (
	maxProfileEntries = 5000
	profileTrimEvery  = 500
)

// maxProfiledCommand is the size above which a profile entry's command is replaced by a truncated summary, as
// mongod does for large commands (it keeps profile documents small).
const maxProfiledCommand = 50 * 1024

// profiler holds the database profiler settings. Levels are per database (0 off, 1 slow operations, 2 all);
// slowms and sampleRate are server-wide, as in mongod. The zero value means profiling off with the defaults
// (slowms 100, sampleRate 1.0). Safe for concurrent use.
type profiler struct {
	// active counts databases with a non-zero level, so the common case (no profiling) costs one atomic load.
	active atomic.Int32

	mu     sync.RWMutex
	levels map[string]int32
	// slowMS and sampleRate hold the settings once changed; nil means the default.
	slowMS     *int64
	sampleRate *float64
	// written counts entries written per database since its last trim.
	written map[string]int
}

// noteWrite counts one entry written to db's system.profile and reports whether it is time to trim it.
func (p *profiler) noteWrite(db string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.written == nil {
		p.written = make(map[string]int)
	}
	p.written[db]++
	if p.written[db] < profileTrimEvery {
		return false
	}
	p.written[db] = 0
	return true
}

// settings returns the level of db and the server-wide slowms and sampleRate.
func (p *profiler) settings(db string) (level int32, slowMS int64, sampleRate float64) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	slowMS, sampleRate = defaultSlowMS, 1.0
	if p.slowMS != nil {
		slowMS = *p.slowMS
	}
	if p.sampleRate != nil {
		sampleRate = *p.sampleRate
	}
	return p.levels[db], slowMS, sampleRate
}

// set changes the settings; a negative level leaves the level unchanged, nil pointers leave the others.
func (p *profiler) set(db string, level int32, slowMS *int64, sampleRate *float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if level >= 0 {
		old := p.levels[db]
		if p.levels == nil {
			p.levels = make(map[string]int32)
		}
		if level == 0 {
			delete(p.levels, db)
		} else {
			p.levels[db] = level
		}
		switch {
		case old == 0 && level > 0:
			p.active.Add(1)
		case old > 0 && level == 0:
			p.active.Add(-1)
		}
	}
	if slowMS != nil {
		v := *slowMS
		p.slowMS = &v
	}
	if sampleRate != nil {
		v := *sampleRate
		p.sampleRate = &v
	}
}

// on reports whether any operation of db may be profiled.
func (p *profiler) on(db string) bool {
	if p.active.Load() == 0 {
		return false
	}
	level, _, _ := p.settings(db)
	return level > 0
}

// handleProfile runs the profile command: {profile: <level>, slowms, sampleRate}. Level -1 only reads the
// settings. The reply carries the settings from before the change, as mongod's does.
func handleProfile(_ context.Context, s *Server, req *Request) (bson.D, error) {
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	level, err := a.int64("profile", 0)
	if err != nil {
		return nil, err
	}
	if level < -1 || level > 2 {
		return nil, codes.New(codes.BadValue, "Invalid profiling level: %d", level)
	}
	var slowMS *int64
	if a.has("slowms") {
		v, err := a.int64("slowms", 0)
		if err != nil {
			return nil, err
		}
		slowMS = &v
	}
	var sampleRate *float64
	if a.has("sampleRate") {
		v, ok := a.raw("sampleRate").AsFloat64OK()
		if !ok {
			return nil, wrongType(req.Name, "sampleRate", a.raw("sampleRate"), expectNumber)
		}
		if v < 0 || v > 1 || math.IsNaN(v) {
			return nil, codes.New(codes.BadValue, "'sampleRate' must be between 0.0 and 1.0 inclusive")
		}
		sampleRate = &v
	}
	was, oldSlow, oldRate := s.profiler.settings(req.DB)
	s.profiler.set(req.DB, int32(level), slowMS, sampleRate)
	return bson.D{{Key: "was", Value: was}, {Key: "slowms", Value: int32(oldSlow)}, {Key: "sampleRate", Value: oldRate}}, nil
}

// profileRecord is one operation as the profiler records it.
type profileRecord struct {
	op      string // insert, query, update, remove, getmore, command, killcursors
	ns      string
	command bson.Raw
	// cursorID is the cursor a query or getmore left open (0: none).
	cursorID int64
	st       *concord.OpStats
	started  time.Time
	// err is the operation's failure: a command error, or for a write command its last write error (mongod's
	// handleError records each one in the operation's errInfo, which the profiler reports).
	err error
	// responseLength is the reply's size in bytes; 0 leaves the field out.
	responseLength int
}

// profileOp records one operation in db's system.profile when the database's profiling level asks for it: level 2
// records every operation, level 1 those slower than slowms; sampleRate samples either. op is mongod's logical op
// name (insert, query, update, remove, getmore, command), command the statement as recorded (for update and delete
// the single statement), st the operation's statistics (nil: none), err its failure. Operations on system.profile
// itself are not recorded. Safe for concurrent use; the entry is written outside any transaction of ctx.
func (s *Server) profileOp(ctx context.Context, req *Request, op string, ns string, command bson.Raw, st *concord.OpStats, started time.Time, err error) {
	s.profileRecord(ctx, req, profileRecord{op: op, ns: ns, command: command, st: st, started: started, err: err})
}

// profileRecord writes r when the profiler settings of req's database select it.
func (s *Server) profileRecord(_ context.Context, req *Request, r profileRecord) {
	if s == nil || !s.profiler.on(req.DB) || r.ns == ns(req.DB, profileCollection) {
		return
	}
	level, slowMS, sampleRate := s.profiler.settings(req.DB)
	elapsed := time.Since(r.started)
	millis := elapsed.Milliseconds()
	if level == 0 || (level == 1 && millis < slowMS) {
		return
	}
	if sampleRate < 1 && rand.Float64() >= sampleRate {
		return
	}
	doc := profileDoc(req, r, millis)
	// The entry is not part of the operation: it must survive the operation's transaction aborting and must not
	// wait for its deadline, so it is written with a fresh context. mongod writes profile entries below the layer
	// that counts operations, so neither the entry nor its trim shows in serverStatus.
	wctx, cancel := context.WithTimeout(frontend.WithoutMetrics(context.Background()), 5*time.Second)
	defer cancel()
	coll := s.DB.Database(req.DB).Collection(profileCollection)
	if _, err := coll.InsertOne(wctx, doc); err == nil && s.profiler.noteWrite(req.DB) {
		trimProfile(wctx, coll)
	}
}

// trimProfile deletes the oldest entries of a system.profile collection beyond maxProfileEntries, as the capped
// collection of mongod would have overwritten them. It returns the number deleted, or -1 when it ran no delete;
// err is the delete's. Callers pass a context made with frontend.WithoutMetrics so that the trim is not counted.
func trimProfile(ctx context.Context, coll *concord.Collection) (int64, error) {
	cut, err := coll.FindOne(ctx, bson.D{}, &concord.FindOneOptions{
		Sort:       bson.D{{Key: "ts", Value: -1}},
		Skip:       maxProfileEntries,
		Projection: bson.D{{Key: "ts", Value: 1}},
	}).Raw()
	if err != nil {
		return -1, nil
	}
	ts, err := cut.LookupErr("ts")
	if err != nil {
		return -1, nil
	}
	res, err := coll.DeleteMany(ctx, bson.D{{Key: "ts", Value: bson.D{{Key: "$lte", Value: ts}}}})
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}

// profileDoc builds the system.profile document with mongod's field order (OpDebug::append, then the profile
// writer's ts, client, appName, allUsers, user). Counters that mongod only reports for some operations are left
// out of the others; writeConflicts appears only when non-zero. Counters are int32 when they fit, as mongod's
// appendNumber writes them.
func profileDoc(req *Request, r profileRecord, millis int64) bson.D {
	st := r.st
	if st == nil {
		st = &concord.OpStats{}
	}
	d := bson.D{{Key: "op", Value: r.op}, {Key: "ns", Value: r.ns}, {Key: "command", Value: profiledCommand(r.op, r.command)}}
	if r.cursorID != 0 {
		d = append(d, bson.E{Key: "cursorid", Value: r.cursorID})
	}
	fam := isFindAndModify(req.Name)
	isWrite := r.op == "update" || r.op == "remove" || r.op == "insert" || fam
	if r.op != "insert" {
		d = append(d, bson.E{Key: "keysExamined", Value: appendNumber(st.KeysExamined)}, bson.E{Key: "docsExamined", Value: appendNumber(st.DocsExamined)})
	}
	if r.op == "update" || (fam && st.NDeleted == 0) {
		d = append(d, bson.E{Key: "nMatched", Value: appendNumber(st.NMatched)}, bson.E{Key: "nModified", Value: appendNumber(st.NModified)})
	}
	if r.op == "insert" || st.NInserted > 0 {
		d = append(d, bson.E{Key: "ninserted", Value: appendNumber(st.NInserted)})
	}
	if r.op == "remove" || st.NDeleted > 0 {
		d = append(d, bson.E{Key: "ndeleted", Value: appendNumber(st.NDeleted)})
	}
	if r.op == "update" || (fam && st.NDeleted == 0) {
		d = append(d, bson.E{Key: "nUpserted", Value: appendNumber(st.NUpserted)})
	}
	if st.WriteConflicts > 0 {
		d = append(d, bson.E{Key: "writeConflicts", Value: appendNumber(st.WriteConflicts)})
	}
	d = append(d, bson.E{Key: "numYield", Value: appendNumber(st.NumYield)})
	if !isWrite || fam {
		d = append(d, bson.E{Key: "nreturned", Value: appendNumber(st.NReturned)})
	}
	// Concord takes one shared hold of the whole engine per operation and has no flow control; the documents
	// say so in mongod's shape, which tools reading the profiler expect.
	mode := "r"
	if isWrite {
		mode = "w"
	}
	d = append(d, bson.E{Key: "locks", Value: bson.D{{Key: "Global", Value: bson.D{{Key: "acquireCount", Value: bson.D{{Key: mode, Value: int64(1)}}}}}}},
		bson.E{Key: "flowControl", Value: bson.D{}})
	if r.err != nil {
		e, _ := codes.As(commandError(r.err))
		d = append(d, bson.E{Key: "ok", Value: 0.0}, bson.E{Key: "errMsg", Value: e.Message},
			bson.E{Key: "errName", Value: e.CodeName()}, bson.E{Key: "errCode", Value: int32(e.Code)})
	}
	if r.responseLength > 0 {
		d = append(d, bson.E{Key: "responseLength", Value: int32(r.responseLength)})
	}
	d = append(d, bson.E{Key: "protocol", Value: "op_msg"}, bson.E{Key: "millis", Value: appendNumber(millis)})
	if st.PlanSummary != "" {
		d = append(d, bson.E{Key: "planSummary", Value: st.PlanSummary})
	}
	d = append(d, bson.E{Key: "ts", Value: bson.NewDateTimeFromTime(time.Now())}, bson.E{Key: "client", Value: clientHost(req)})
	if app := req.Conn.AppName(); app != "" {
		d = append(d, bson.E{Key: "appName", Value: app})
	}
	return append(d, bson.E{Key: "allUsers", Value: bson.A{}}, bson.E{Key: "user", Value: ""})
}

// appendNumber is n as mongod's BSONObjBuilder::appendNumber writes a count: int32 when it fits, else int64.
func appendNumber(n int64) any {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		return int32(n)
	}
	return n
}

// profiledCommand returns the command as a profile entry records it: as is, or a truncated summary when large.
// An update statement gets the multi and upsert fields it left out, with their defaults, as mongod records the
// parsed statement.
func profiledCommand(op string, cmd bson.Raw) any {
	if cmd == nil {
		return bson.D{}
	}
	if first, err := cmd.IndexErr(0); err == nil {
		cmd = redactPassword(first.Key(), cmd) // createUser and updateUser: never the password, as mongod
	}
	if len(cmd) <= maxProfiledCommand {
		if op == "update" {
			return withUpdateDefaults(cmd)
		}
		return cmd
	}
	s := cmd.String()
	if len(s) > 1024 {
		s = s[:1024] + "..."
	}
	return bson.D{{Key: "$truncated", Value: s}}
}

// withUpdateDefaults appends multi: false and upsert: false to an update statement that lacks them.
func withUpdateDefaults(stmt bson.Raw) bson.Raw {
	_, errMulti := stmt.LookupErr("multi")
	_, errUpsert := stmt.LookupErr("upsert")
	if errMulti == nil && errUpsert == nil {
		return stmt
	}
	if _, err := stmt.LookupErr("q"); err != nil {
		return stmt // not a statement (a findAndModify profiled as an update keeps its command)
	}
	idx, out := bsoncore.AppendDocumentStart(nil)
	out = append(out, stmt[4:len(stmt)-1]...) // the statement's elements, as they are
	if errMulti != nil {
		out = bsoncore.AppendBooleanElement(out, "multi", false)
	}
	if errUpsert != nil {
		out = bsoncore.AppendBooleanElement(out, "upsert", false)
	}
	out, _ = bsoncore.AppendDocumentEnd(out, idx)
	return bson.Raw(out)
}

// clientHost is the client's address without its port, as mongod records it.
func clientHost(req *Request) string {
	if req.Conn == nil {
		return ""
	}
	addr := req.Conn.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
