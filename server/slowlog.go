package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// slowQueryID is the id of mongod's "Slow query" log message.
const slowQueryID = 51803

// logSlow writes mongod's "Slow query" line for a command that ran for slowms or longer: the command, its
// statistics as the profiler has them (keysExamined, docsExamined, nMatched, nModified, writeConflicts,
// numYields, ...), its error if it failed, and durationMillis. Commands on system.profile are not logged.
func (s *Server) logSlow(inv *invocation, started time.Time, err error) {
	elapsed := time.Since(started)
	req := inv.req
	_, slowMS, _ := s.profiler.settings(req.DB)
	if elapsed < time.Duration(slowMS)*time.Millisecond || !s.Logger.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	nsName := namespaceOf(req)
	if nsName == ns(req.DB, profileCollection) {
		return
	}
	st := &inv.stats
	attr := bson.D{{Key: "type", Value: "command"}, {Key: "ns", Value: nsName}}
	if req.Conn != nil {
		if app := req.Conn.AppName(); app != "" {
			attr = append(attr, bson.E{Key: "appName", Value: app})
		}
	}
	attr = append(attr, bson.E{Key: "command", Value: profiledCommand("command", req.Body)})
	if st.PlanSummary != "" {
		attr = append(attr, bson.E{Key: "planSummary", Value: st.PlanSummary})
	}
	attr = append(attr,
		bson.E{Key: "keysExamined", Value: st.KeysExamined}, bson.E{Key: "docsExamined", Value: st.DocsExamined})
	if st.NMatched > 0 || st.NModified > 0 || req.Name == "update" {
		attr = append(attr, bson.E{Key: "nMatched", Value: st.NMatched}, bson.E{Key: "nModified", Value: st.NModified})
	}
	if st.NInserted > 0 {
		attr = append(attr, bson.E{Key: "ninserted", Value: st.NInserted})
	}
	if st.NDeleted > 0 {
		attr = append(attr, bson.E{Key: "ndeleted", Value: st.NDeleted})
	}
	if st.WriteConflicts > 0 {
		attr = append(attr, bson.E{Key: "writeConflicts", Value: st.WriteConflicts})
	}
	attr = append(attr, bson.E{Key: "numYields", Value: st.NumYield})
	if st.NReturned > 0 {
		attr = append(attr, bson.E{Key: "nreturned", Value: st.NReturned})
	}
	if err != nil {
		if e, ok := codes.As(commandError(err)); ok {
			attr = append(attr, bson.E{Key: "ok", Value: 0}, bson.E{Key: "errMsg", Value: e.Message},
				bson.E{Key: "errName", Value: e.CodeName()}, bson.E{Key: "errCode", Value: int32(e.Code)})
		}
	}
	attr = append(attr, bson.E{Key: "protocol", Value: "op_msg"}, bson.E{Key: "durationMillis", Value: elapsed.Milliseconds()})

	ctx := "conn"
	if req.Conn != nil {
		ctx += strconv.FormatInt(req.Conn.ID, 10)
	}
	attrs := []slog.Attr{slog.String("c", "COMMAND"), slog.Int("id", slowQueryID), slog.String("ctx", ctx)}
	// Each field goes into attr in order, as relaxed extended JSON (what mongod's log writes).
	for _, e := range attr {
		b, merr := bson.MarshalExtJSON(bson.D{{Key: "v", Value: e.Value}}, false, false)
		if merr != nil {
			continue
		}
		attrs = append(attrs, slog.Any(e.Key, json.RawMessage(b[len(`{"v":`):len(b)-1])))
	}
	s.Logger.LogAttrs(context.Background(), slog.LevelInfo, "Slow query", attrs...)
}
