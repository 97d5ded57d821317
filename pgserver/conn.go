package pgserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concorddb/concord/sql"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
)

// conn is one client connection.
type conn struct {
	srv    *Server
	nc     net.Conn
	be     *pgproto3.Backend
	sess   *sql.Session
	secret []byte
	// local is set for a client on a Unix-domain socket: it never negotiates TLS, as PostgreSQL's, and
	// needs none where the server requires it.
	local bool
	// mu guards the statements' context (withCancel): stmtCtx and its stmtCancel, and running, set while a
	// statement runs. endStmt is endStatement as a function value, made once per connection.
	mu         sync.Mutex
	stmtCtx    context.Context
	stmtCancel context.CancelFunc
	running    bool
	endStmt    func()

	types *pgtype.Map // binary encoding plans, the connection's own

	// timeZone and intervalStyle are the session's TimeZone and IntervalStyle as the client was last told
	// them in ParameterStatus (ready).
	timeZone, intervalStyle string

	// row, rowBuf and rowEnds are sendRows' DataRow, the buffer its
	// values are encoded into and where each ends (-1 for NULL), reused.
	row     pgproto3.DataRow
	rowBuf  []byte
	rowEnds []int
	// unflushed counts the bytes of rows sent since the last flush: a large result goes out as it is encoded,
	// not gathered whole in the write buffer.
	unflushed int

	stmts   map[string]*sql.Stmt
	portals map[string]*portal
	// skipping is set after an error in the extended protocol: messages are
	// discarded until Sync, as PostgreSQL does.
	skipping bool
	batch    batch // the extended-protocol batch's implicit transaction (batch.go)
	// wmu guards idle, set while serve waits for the client's next message: then, and only then, another
	// goroutine (a notifying session's) may write to the client, under wmu (notify.go).
	wmu  sync.Mutex
	idle bool
	// terminated is set, under wmu, when another session ended this one (signal.go).
	terminated atomic.Bool
}

// portal is a bound statement, with its results once executed.
type portal struct {
	stmt    *sql.Stmt
	params  []any
	formats []int16
	res     *sql.Result // set by the first Execute
	sent    int         // rows already sent (Execute with a row limit)
	// batched is set once an Execute has read the portal as a cursor (sql.Session.ExecuteBatch); ran once an
	// Execute has run it to its end, after which it has no rows.
	batched, ran bool
}

// serve runs the connection until the client leaves or the server closes.
func (c *conn) serve() {
	defer c.nc.Close()
	defer c.releaseContext()
	c.endStmt = c.endStatement // made once: withCancel returns it for every statement
	defer func() {
		if r := recover(); r != nil {
			c.srv.logf("pgserver: connection from %s: panic: %v\n%s", remoteHost(c.nc), r, debug.Stack())
		}
	}()
	c.be = pgproto3.NewBackend(c.nc, c.nc)
	c.be.SetMaxBodyLen(MaxMessageBytes)
	c.types = pgtype.NewMap()
	if !c.startup() {
		return
	}
	defer c.sess.Close()
	c.stmts = map[string]*sql.Stmt{}
	c.portals = map[string]*portal{}
	for {
		c.setIdle(true)
		msg, err := c.next()
		c.setIdle(false)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.fatal(sql.CodeProtocolViolation, err.Error())
			}
			return
		}
		if c.skipping {
			if _, ok := msg.(*pgproto3.Sync); !ok {
				if _, ok := msg.(*pgproto3.Terminate); !ok {
					continue
				}
			}
		}
		if c.batched(msg) {
			continue
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			c.simpleQuery(m.String)
		case *pgproto3.Parse:
			c.parse(m)
		case *pgproto3.Bind:
			c.bind(m)
		case *pgproto3.Describe:
			c.describe(m)
		case *pgproto3.Execute:
			c.execute(m)
		case *pgproto3.Sync:
			c.skipping = false
			c.ready()
		case *pgproto3.Close:
			if m.ObjectType == 'S' {
				delete(c.stmts, m.Name)
			} else {
				delete(c.portals, m.Name)
				c.sess.ClosePortal(m.Name)
			}
			c.be.Send(&pgproto3.CloseComplete{})
		case *pgproto3.Flush:
			if c.flush() != nil {
				return
			}
		case *pgproto3.Terminate:
			return
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// What a client still sends of a COPY FROM STDIN that failed: dropped, as PostgreSQL does.
		default:
			c.fatal(sql.CodeProtocolViolation, fmt.Sprintf("unexpected message %T", msg))
			return
		}
	}
}

// startup negotiates encryption (TLS when the server has a TLSConfig and the
// client is not on a Unix-domain socket, never GSS), serves a cancel request, accepts a startup message and, when the
// server requires it, authenticates the user. It reports whether the
// connection goes on.
func (c *conn) startup() bool {
	if t := c.srv.startupTimeout(); t > 0 {
		_ = c.nc.SetDeadline(time.Now().Add(t))
		defer c.nc.SetDeadline(time.Time{})
	}
	encrypted := false
	for {
		msg, err := c.be.ReceiveStartupMessage()
		if err != nil {
			c.fatal(sql.CodeProtocolViolation, err.Error())
			return false
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if encrypted || c.srv.TLSConfig == nil || c.local {
				if _, err := c.nc.Write([]byte{'N'}); err != nil {
					return false
				}
				continue
			}
			if _, err := c.nc.Write([]byte{'S'}); err != nil {
				return false
			}
			tc := tls.Server(c.nc, c.srv.TLSConfig)
			if err := tc.Handshake(); err != nil {
				c.srv.logf("pgserver: TLS handshake with %s: %v", c.nc.RemoteAddr(), err)
				return false
			}
			c.be = pgproto3.NewBackend(tc, tc)
			c.be.SetMaxBodyLen(MaxMessageBytes)
			encrypted = true
		case *pgproto3.GSSEncRequest:
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return false
			}
		case *pgproto3.CancelRequest:
			// PostgreSQL clients send cancel requests unencrypted, even to a
			// server that requires TLS: the secret key is the credential.
			c.srv.cancel(m.ProcessID, m.SecretKey)
			return false
		case *pgproto3.StartupMessage:
			db := m.Parameters["database"]
			user := m.Parameters["user"]
			if db == "" {
				db = user
			}
			if c.srv.TLSConfig != nil && !encrypted && !c.local {
				c.fatal(sql.CodeInvalidAuthorization, fmt.Sprintf(
					"connection for user %q, database %q refused: the server requires SSL (TLS)", user, db))
				return false
			}
			var authz sql.Authorizer
			if c.srv.Auth {
				if authz = c.authenticate(user, db); authz == nil {
					return false
				}
			}
			c.sess = c.srv.Engine.NewSession(db, user)
			c.sess.SetCopySource(c)
			c.sess.SetNotifyHook(c.notified)
			c.sess.SetNoticeHandler(func(e *sql.Error) {
				c.sendWarnings([]*sql.Error{e})
				_ = c.flush() // at once, as PostgreSQL flushes a notice
			})
			c.sess.SetSignalHandler(c.signaled)
			c.setClient()
			for name, value := range m.Parameters {
				if fixedParameters[strings.ToLower(name)] {
					continue
				}
				if err := c.sess.Set(name, value); err != nil {
					e := sql.AsError(err)
					c.fatal(e.Code, e.Message) // as PostgreSQL refuses a startup parameter it cannot take
					c.sess.Close()
					return false
				}
			}
			c.sess.SetAuthorizer(authz)
			c.srv.register(c)
			c.be.Send(&pgproto3.AuthenticationOk{})
			for _, p := range [][2]string{
				{"server_version", sql.ServerVersion}, {"server_encoding", "UTF8"}, {"client_encoding", "UTF8"},
				{"DateStyle", "ISO, MDY"}, {"integer_datetimes", "on"}, {"standard_conforming_strings", "on"},
				{"TimeZone", c.sess.TimeZone()}, {"IntervalStyle", c.sess.IntervalStyle()}, {"is_superuser", boolSetting(authz == nil)},
				{"session_authorization", user}, {"application_name", m.Parameters["application_name"]},
			} {
				c.be.Send(&pgproto3.ParameterStatus{Name: p[0], Value: p[1]})
			}
			c.timeZone, c.intervalStyle = c.sess.TimeZone(), c.sess.IntervalStyle()
			c.be.Send(&pgproto3.BackendKeyData{ProcessID: c.sess.PID(), SecretKey: c.secret})
			c.ready()
			return c.flush() == nil
		default:
			c.fatal(sql.CodeProtocolViolation, fmt.Sprintf("unexpected startup message %T", msg))
			return false
		}
	}
}

// fixedParameters are the startup parameters that are not the session's to set: the user and database, and
// the settings whose value the server reports in ParameterStatus and does not change (client_encoding is always
// UTF8, dates are always written ISO): SHOW answers the server's value for them, as the client was told.
// TimeZone and IntervalStyle are the session's: a client's (psql's PGTZ, JDBC's zone) takes effect.
var fixedParameters = map[string]bool{
	"user": true, "database": true, "options": true, "replication": true,
	"client_encoding": true, "server_encoding": true, "datestyle": true,
	"integer_datetimes": true, "standard_conforming_strings": true, "server_version": true,
	"is_superuser": true, "session_authorization": true,
}

func boolSetting(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (c *conn) flush() error {
	c.unflushed = 0
	return c.be.Flush()
}

// ready sends ReadyForQuery with the session's transaction status, after a ParameterStatus for TimeZone or
// IntervalStyle when the statements since the last one changed it (SET, RESET, a block's end), as PostgreSQL
// reports them.
func (c *conn) ready() {
	if tz := c.sess.TimeZone(); tz != c.timeZone {
		c.timeZone = tz
		c.be.Send(&pgproto3.ParameterStatus{Name: "TimeZone", Value: tz})
	}
	if st := c.sess.IntervalStyle(); st != c.intervalStyle {
		c.intervalStyle = st
		c.be.Send(&pgproto3.ParameterStatus{Name: "IntervalStyle", Value: st})
	}
	c.sendNotifications()
	if c.sess.TxStatus() == sql.TxIdle && len(c.portals) > 0 {
		// A transaction's end drops its portals, as PostgreSQL's does: a later Execute of one is 34000.
		for name := range c.portals {
			c.sess.ClosePortal(name)
		}
		clear(c.portals)
	}
	c.be.Send(&pgproto3.ReadyForQuery{TxStatus: c.sess.TxStatus()})
	_ = c.flush()
}

// fatal sends a FATAL error; the caller closes the connection.
func (c *conn) fatal(code, msg string) {
	c.be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg})
	_ = c.flush()
}

// sendError sends a statement's error.
func (c *conn) sendError(err error) {
	e := sql.AsError(err)
	if e.Code == sql.CodeAdminShutdown || c.terminated.Load() {
		c.endTerminated() // the statement ended because the session was terminated
		return
	}
	schema := ""
	if e.Table != "" || e.DataType != "" {
		schema = "public" // the only schema
	}
	c.be.Send(&pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: e.Code, Message: e.Message,
		Detail: e.Detail, Hint: e.Hint, Where: e.Where, Position: int32(e.Position), ConstraintName: e.Constraint, TableName: e.Table,
		ColumnName: e.Column, DataTypeName: e.DataType, SchemaName: schema})
}

// sendWarnings sends a statement's warnings as NoticeResponse messages, before its results as PostgreSQL does.
func (c *conn) sendWarnings(ws []*sql.Error) {
	for _, w := range ws {
		sev := w.Severity
		if sev == "" {
			sev = "WARNING"
		}
		c.be.Send(&pgproto3.NoticeResponse{Severity: sev, SeverityUnlocalized: sev, Code: w.Code, Message: w.Message,
			Detail: w.Detail})
	}
}

// simpleQuery runs a Query message: every statement in it, text results.
func (c *conn) simpleQuery(text string) {
	ctx, done := c.withCancel()
	defer done()
	ran := false
	ctx = sql.WithRowSink(ctx, &rowSink{c: c})
	err := c.sess.Query(ctx, text, func(r *sql.Result) error {
		ran = true
		c.sendWarnings(r.Warnings)
		if r.Streamed {
			if r.Copy != nil {
				c.be.Send(&pgproto3.CopyDone{})
			}
			c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(r.Tag)})
			return nil
		}
		if r.Copy != nil {
			if err := c.sendCopyOut(r); err != nil {
				return err
			}
			c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(r.Tag)})
			return nil
		}
		if r.Columns != nil {
			c.be.Send(rowDescription(r.Columns, nil))
		}
		if err := c.sendRows(r.Columns, r.Rows, nil); err != nil {
			return err
		}
		c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(r.Tag)})
		return nil
	})
	if err != nil {
		c.sendError(err)
	} else if !ran {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
	}
	c.ready()
}

// parse runs a Parse message.
func (c *conn) parse(m *pgproto3.Parse) {
	ctx, done := c.withCancel()
	defer done()
	st, err := c.sess.Prepare(ctx, m.Query, m.ParameterOIDs)
	if err != nil {
		c.extendedError(err)
		return
	}
	c.stmts[m.Name] = st
	c.be.Send(&pgproto3.ParseComplete{})
}

// extendedError reports an error in the extended protocol and skips to
// Sync.
func (c *conn) extendedError(err error) {
	c.sendError(err)
	c.skipping = true
	_ = c.flush()
}

// bind runs a Bind message: decodes the parameters by their types.
func (c *conn) bind(m *pgproto3.Bind) {
	st, ok := c.stmts[m.PreparedStatement]
	if !ok {
		c.extendedError(&sql.Error{Code: sql.CodeInvalidSQLStatementName,
			Message: fmt.Sprintf("prepared statement %q does not exist", m.PreparedStatement)})
		return
	}
	if len(m.Parameters) != len(st.ParamOIDs) {
		c.extendedError(&sql.Error{Code: sql.CodeProtocolViolation,
			Message: fmt.Sprintf("bind message supplies %d parameters, but prepared statement %q requires %d",
				len(m.Parameters), m.PreparedStatement, len(st.ParamOIDs))})
		return
	}
	params := make([]any, len(m.Parameters))
	for i, p := range m.Parameters {
		format := int16(0)
		switch {
		case len(m.ParameterFormatCodes) == 1:
			format = m.ParameterFormatCodes[0]
		case i < len(m.ParameterFormatCodes):
			format = m.ParameterFormatCodes[i]
		}
		v, err := decodeParam(c.types, st.ParamOIDs[i], format, p)
		if err != nil {
			c.extendedError(err)
			return
		}
		params[i] = v
	}
	c.sess.ClosePortal(m.DestinationPortal) // a portal bound again is a new one
	c.portals[m.DestinationPortal] = &portal{stmt: st, params: params, formats: m.ResultFormatCodes}
	c.be.Send(&pgproto3.BindComplete{})
}

// describe runs a Describe message.
func (c *conn) describe(m *pgproto3.Describe) {
	if m.ObjectType == 'S' {
		st, ok := c.stmts[m.Name]
		if !ok {
			c.extendedError(&sql.Error{Code: sql.CodeInvalidSQLStatementName, Message: fmt.Sprintf("prepared statement %q does not exist", m.Name)})
			return
		}
		c.be.Send(&pgproto3.ParameterDescription{ParameterOIDs: st.ParamOIDs})
		if st.Columns == nil {
			c.be.Send(&pgproto3.NoData{})
		} else {
			c.be.Send(rowDescription(st.Columns, nil))
		}
		return
	}
	p, ok := c.portals[m.Name]
	if !ok {
		c.extendedError(&sql.Error{Code: "34000", Message: fmt.Sprintf("portal %q does not exist", m.Name)})
		return
	}
	if p.stmt.Columns == nil {
		c.be.Send(&pgproto3.NoData{})
	} else {
		c.be.Send(rowDescription(p.stmt.Columns, p.formats))
	}
}

// execute runs an Execute message: the portal's statement on its first
// Execute, then its rows, at most MaxRows at a time.
func (c *conn) execute(m *pgproto3.Execute) {
	p, ok := c.portals[m.Portal]
	if !ok {
		c.extendedError(&sql.Error{Code: "34000", Message: fmt.Sprintf("portal %q does not exist", m.Portal)})
		return
	}
	if p.stmt.Empty() {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return
	}
	if p.res == nil && (m.MaxRows > 0 || p.batched) {
		// A batch: in a transaction block a SELECT's portal is a cursor read a batch at a time (all the rest of
		// them for an Execute without a limit after one with).
		n := int64(m.MaxRows)
		if n == 0 {
			n = math.MaxInt64
		}
		ctx, done := c.withCancel()
		rows, ok, err := c.sess.ExecuteBatch(ctx, p.stmt, p.params, m.Portal, n, p.batched)
		done()
		if ok {
			p.batched = true
			if serr := c.sendRows(p.stmt.Columns, rows, p.formats); serr != nil {
				err = serr
			}
			switch {
			case err != nil:
				c.extendedError(err)
			case m.MaxRows > 0 && len(rows) == int(m.MaxRows):
				c.be.Send(&pgproto3.PortalSuspended{})
			default:
				// Read to its end: later Executes get no rows.
				p.res, p.ran = &sql.Result{Columns: p.stmt.Columns, Tag: "SELECT 0"}, true
				c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(fmt.Sprintf("SELECT %d", len(rows)))})
			}
			return
		}
	}
	if p.res == nil {
		ctx, done := c.withCancel()
		if m.MaxRows == 0 && p.stmt.MayStream() {
			// All the rows at once: those of a statement that streams go out as it makes them.
			ctx = sql.WithRowSink(ctx, &rowSink{c: c, extended: true, formats: p.formats})
		}
		res, err := c.sess.Execute(ctx, p.stmt, p.params)
		done()
		if err != nil {
			c.extendedError(err)
			return
		}
		p.res = res
		c.sendWarnings(res.Warnings)
		if res.Streamed {
			if res.Copy != nil {
				c.be.Send(&pgproto3.CopyDone{})
			}
			p.ran = true
			c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(res.Tag)})
			return
		}
		if res.Copy != nil {
			if err := c.sendCopyOut(res); err != nil {
				c.extendedError(err)
				return
			}
			c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(res.Tag)})
			return
		}
	}
	rows := p.res.Rows[p.sent:]
	// PostgreSQL suspends a portal that gave all the rows asked for, even the last of them, and tags a run with a
	// row limit, or after one, with the rows of that run.
	limited := m.MaxRows > 0 && uint32(len(rows)) >= m.MaxRows
	if limited {
		rows = rows[:m.MaxRows]
	}
	if err := c.sendRows(p.res.Columns, rows, p.formats); err != nil {
		c.extendedError(err)
		return
	}
	tag := p.res.Tag
	if p.res.Columns != nil && (m.MaxRows > 0 || p.sent > 0 || p.ran) {
		tag = retag(tag, len(rows))
	}
	p.sent += len(rows)
	if limited {
		c.be.Send(&pgproto3.PortalSuspended{})
		return
	}
	p.ran = true
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
}

// retag is a command tag with its row count (its last number) replaced by n.
func retag(tag string, n int) string {
	i := strings.LastIndexByte(tag, ' ')
	if i < 0 {
		return tag
	}
	return tag[:i+1] + strconv.Itoa(n)
}

// rowDescription describes columns with their result formats.
func rowDescription(cols []sql.Column, formats []int16) *pgproto3.RowDescription {
	rd := &pgproto3.RowDescription{Fields: make([]pgproto3.FieldDescription, len(cols))}
	for i, col := range cols {
		mod := sql.PGTypmod(col.OID, col.TypMod)
		rd.Fields[i] = pgproto3.FieldDescription{Name: []byte(col.Name), DataTypeOID: col.OID,
			DataTypeSize: typeSize(col.OID), TypeModifier: mod, Format: formatOf(formats, i)}
	}
	return rd
}

// formatOf is the format code of column i (0 text, 1 binary).
func formatOf(formats []int16, i int) int16 {
	switch {
	case len(formats) == 0:
		return 0
	case len(formats) == 1:
		return formats[0]
	case i < len(formats):
		return formats[i]
	}
	return 0
}

// sendRows sends rows as DataRow messages in the columns' formats. One
// DataRow and one buffer for its values serve every row: Send encodes a
// message into the connection's write buffer at once.
func (c *conn) sendRows(cols []sql.Column, rows [][]any, formats []int16) error {
	dr := &c.row
	if c.rowBuf == nil {
		c.rowBuf = make([]byte, 0, 512) // never nil: an empty value is not NULL
	}
	for _, row := range rows {
		buf := c.rowBuf[:0]
		ends := c.rowEnds[:0]
		for i, v := range row {
			if v == nil {
				ends = append(ends, -1)
				continue
			}
			var err error
			if buf, err = appendValue(c.types, buf, v, cols[i].OID, sql.DisplayMod(cols[i]), formatOf(formats, i)); err != nil {
				return err
			}
			ends = append(ends, len(buf))
		}
		// The values are sliced once the buffer stops growing.
		dr.Values = dr.Values[:0]
		start := 0
		for _, end := range ends {
			if end < 0 {
				dr.Values = append(dr.Values, nil)
				continue
			}
			dr.Values = append(dr.Values, buf[start:end:end])
			start = end
		}
		c.be.Send(dr)
		c.rowBuf, c.rowEnds = buf, ends
		if c.unflushed += len(buf) + 4*len(ends) + 7; c.unflushed >= flushEvery {
			if err := c.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flushEvery is how many bytes of rows the write buffer gathers before they go to the client.
const flushEvery = 64 << 10

// rowSink sends the rows of a statement that streams them (sql.RowSink) as they come: after a RowDescription in
// the simple protocol (the extended one's Describe sent it), or as copy data after a CopyOutResponse.
type rowSink struct {
	c        *conn
	extended bool
	formats  []int16
	res      *sql.Result
	line     []byte
}

func (k *rowSink) Start(r *sql.Result) error {
	k.res = r
	switch {
	case r.Copy != nil:
		k.c.startCopyOut(r)
	case !k.extended:
		k.c.be.Send(rowDescription(r.Columns, nil))
	}
	return nil
}

func (k *rowSink) Rows(rows [][]any) error {
	if k.res.Copy != nil {
		var err error
		k.line, err = k.c.sendCopyRows(k.res, rows, k.line)
		return err
	}
	return k.c.sendRows(k.res.Columns, rows, k.formats)
}

// typeSize is the fixed size of a type, -1 for variable.
func typeSize(oid uint32) int16 {
	switch oid {
	case sql.OIDBool:
		return 1
	case sql.OIDInt2:
		return 2
	case sql.OIDInt4, sql.OIDFloat4, sql.OIDOID:
		return 4
	case sql.OIDInt8, sql.OIDFloat8, sql.OIDTimestamptz, sql.OIDTimestamp:
		return 8
	}
	return -1
}
