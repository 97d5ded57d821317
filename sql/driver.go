package sql

import (
	"context"
	stdsql "database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// DriverName is the name the database/sql driver is registered under:
// sql.Open("concord", dir) runs SQL in process on the database in dir,
// with no network. A "?database=name" suffix picks the database (default
// "postgres", as for a PostgreSQL client without one).
const DriverName = "concord"

func init() { stdsql.Register(DriverName, Driver{}) }

// Driver is the database/sql driver. Each sql.DB opened through it opens
// the directory's database once and closes it with the sql.DB.
type Driver struct{}

var (
	_ driver.Driver        = Driver{}
	_ driver.DriverContext = Driver{}
	_ driver.Connector     = (*Connector)(nil)
	_ io.Closer            = (*Connector)(nil)
)

// Open is required by driver.Driver; database/sql uses OpenConnector.
func (d Driver) Open(name string) (driver.Conn, error) {
	c, err := d.OpenConnector(name)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

// OpenConnector opens the database named by dsn: a directory, optionally
// followed by ?database=name.
func (Driver) OpenConnector(dsn string) (driver.Connector, error) {
	dir, query, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, err
	}
	db, err := concord.Open(dir, nil)
	if err != nil {
		return nil, err
	}
	c := NewConnector(db, q.Get("database"))
	c.owned = true
	return c, nil
}

// Connector connects database/sql to an open *concord.DB; sql.OpenDB(c)
// runs SQL over a DB the program already holds.
type Connector struct {
	e        *Engine
	db       *concord.DB
	database string
	owned    bool // the connector opened db and closes it
}

// NewConnector returns a connector to database (default "postgres") of
// db. Closing the sql.DB does not close db.
func NewConnector(db *concord.DB, database string) *Connector {
	return &Connector{e: NewEngine(db), db: db, database: database}
}

// Connect starts a session.
func (c *Connector) Connect(context.Context) (driver.Conn, error) {
	cn := &conn{s: c.e.NewSession(c.database, "")}
	cn.s.SetSignalHandler(cn.signaled)
	return cn, nil
}

// Driver returns the driver.
func (c *Connector) Driver() driver.Driver { return Driver{} }

// Close closes the database when the connector opened it.
func (c *Connector) Close() error {
	if c.owned {
		return c.db.Close()
	}
	return nil
}

// conn is one database/sql connection: a Session.
type conn struct {
	s *Session
	// mu guards cancel, which cancels the running statement's context (pg_cancel_backend, signaled); nil
	// between statements.
	mu     sync.Mutex
	cancel context.CancelFunc
}

// withCancel returns the context a statement runs under, which another session's pg_cancel_backend or
// pg_terminate_backend cancels; endStatement must follow the statement.
func (c *conn) withCancel(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	c.cancel = cancel
	c.mu.Unlock()
	return ctx
}

// endStatement releases the statement's context.
func (c *conn) endStatement() {
	c.mu.Lock()
	cancel := c.cancel
	c.cancel = nil
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// signaled is the session's signal handler: both signals cancel the running statement; a terminated
// session's next statement fails with 57P01, and IsValid makes database/sql discard the connection.
func (c *conn) signaled(Signal) {
	c.mu.Lock()
	if c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
}

// IsValid reports whether the connection may be reused: not once another session terminated it.
func (c *conn) IsValid() bool { return !c.s.Terminated() }

var (
	_ driver.ConnBeginTx                    = (*conn)(nil)
	_ driver.ExecerContext                  = (*conn)(nil)
	_ driver.QueryerContext                 = (*conn)(nil)
	_ driver.ConnPrepareContext             = (*conn)(nil)
	_ driver.NamedValueChecker              = (*conn)(nil)
	_ driver.Validator                      = (*conn)(nil)
	_ driver.StmtExecContext                = (*stmt)(nil)
	_ driver.StmtQueryContext               = (*stmt)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*rows)(nil)
)

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.s.Prepare(ctx, query, nil)
	if err != nil {
		return nil, err
	}
	return &stmt{c: c, st: st}, nil
}

func (c *conn) Close() error {
	c.s.Close()
	return nil
}

func (c *conn) Begin() (driver.Tx, error) { return c.BeginTx(context.Background(), driver.TxOptions{}) }

// BeginTx starts a transaction block: BEGIN READ ONLY when opts ask for
// one. Every isolation level runs as snapshot isolation.
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	begin := "BEGIN"
	if opts.ReadOnly {
		begin = "BEGIN READ ONLY"
	}
	if err := c.s.Query(ctx, begin, func(*Result) error { return nil }); err != nil {
		return nil, err
	}
	return &tx{c: c}, nil
}

// CheckNamedValue accepts every value; Execute converts them to the
// parameters' types.
func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok := nv.Value.(driver.Valuer); ok {
		var err error
		nv.Value, err = v.Value()
		return err
	}
	return nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.(*stmt).ExecContext(ctx, args)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.(*stmt).QueryContext(ctx, args)
}

// tx is a transaction block.
type tx struct{ c *conn }

func (t *tx) Commit() error {
	var tag string
	err := t.c.s.Query(context.Background(), "COMMIT", func(r *Result) error { tag = r.Tag; return nil })
	if err == nil && tag == "ROLLBACK" {
		return errorf(CodeInFailedSQLTransaction, "the transaction failed and was rolled back")
	}
	return err
}

func (t *tx) Rollback() error {
	return t.c.s.Query(context.Background(), "ROLLBACK", func(*Result) error { return nil })
}

// stmt is a prepared statement.
type stmt struct {
	c  *conn
	st *Stmt
}

func (s *stmt) Close() error  { return nil }
func (s *stmt) NumInput() int { return len(s.st.ParamOIDs) }

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return out
}

func (s *stmt) run(ctx context.Context, args []driver.NamedValue) (*Result, error) {
	params := make([]any, len(args))
	for i, a := range args {
		switch v := a.Value.(type) {
		case []byte:
			params[i] = string(v)
			if i < len(s.st.ParamOIDs) && s.st.ParamOIDs[i] == OIDBytea {
				params[i] = Bytea(v) // bytes, not bytea's text input
			}
		case int:
			params[i] = int64(v)
		case int32:
			params[i] = int64(v)
		default:
			params[i] = v
		}
	}
	ctx = s.c.withCancel(ctx)
	defer s.c.endStatement()
	return s.c.s.Execute(ctx, s.st, params)
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	res, err := s.run(ctx, args)
	if err != nil {
		return nil, err
	}
	return result(res.Tag), nil
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	res, err := s.run(ctx, args)
	if err != nil {
		return nil, err
	}
	return &rows{res: res}, nil
}

// result is a command tag's row count.
type result string

func (r result) LastInsertId() (int64, error) {
	return 0, errors.New("concord: LastInsertId is not supported; use RETURNING")
}

func (r result) RowsAffected() (int64, error) { return rowCount(string(r)), nil }

// rowCount reads the row count of a command tag ("UPDATE 3", "INSERT 0 1").
func rowCount(tag string) int64 {
	i := strings.LastIndexByte(tag, ' ')
	if i < 0 {
		return 0
	}
	var n int64
	for _, c := range tag[i+1:] {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// rows iterates a Result.
type rows struct {
	res *Result
	pos int
}

func (r *rows) Columns() []string {
	out := make([]string, len(r.res.Columns))
	for i, c := range r.res.Columns {
		out[i] = c.Name
	}
	return out
}

func (r *rows) Close() error { return nil }

// ColumnTypeDatabaseTypeName returns the column's PostgreSQL type name.
func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	return strings.ToUpper(TypeName(r.res.Columns[i].OID))
}

// Next converts values to database/sql's kinds: integers, floats, strings, bools
// and times as themselves, numerics, arrays, jsonb and intervals as their text.
func (r *rows) Next(dest []driver.Value) error {
	if r.pos >= len(r.res.Rows) {
		return io.EOF
	}
	row := r.res.Rows[r.pos]
	r.pos++
	for i, v := range row {
		col := r.res.Columns[i]
		if c, err := coerce(v, col.OID); err == nil {
			v = PadChar(c, col.OID, col.TypMod)
		}
		switch x := v.(type) {
		case nil, int64, float64, bool, string, time.Time:
			dest[i] = x
		case Bytea:
			dest[i] = []byte(x)
		case *apd.Decimal:
			dest[i] = string(AppendTypedMod(nil, x, col.OID, DisplayMod(col))) // exact, as pgx's stdlib gives it
		case bson.RawValue:
			if x.Type == bson.TypeBinary {
				_, data := x.Binary()
				dest[i] = data
			} else {
				dest[i] = formatText(x)
			}
		default:
			dest[i] = formatText(x)
		}
	}
	return nil
}
