package sql

import (
	"container/list"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	pg "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// MaxStatementBytes bounds the text of one statement (PostgreSQL's own
// limit on a query string is 1 GB; a longer text is refused before parsing).
const MaxStatementBytes = 16 << 20

// stmtCache is a bounded cache of parse trees by statement text, shared by
// every session of an Engine. Trees in it are never modified: the planner
// only reads them. Safe for concurrent use.
//
// It is bounded by count and by the texts' bytes. A parse tree takes several
// times its text's size in memory (a 100 KB multi-row INSERT about 700 KB), so
// a bulk load of long one-off statements would otherwise keep hundreds of
// megabytes of trees that no one runs again, and make the garbage collector
// walk them; a text longer than cacheTextMax is parsed each time instead.
type stmtCache struct {
	mu    sync.Mutex
	max   int
	bytes int        // the cached texts' total length, at most cacheBytesMax
	ll    *list.List // front: most recently used; values are *cacheEntry
	m     map[string]*list.Element
}

// cacheTextMax is the longest text the statement cache keeps, and
// cacheBytesMax the cached texts' total length. Variables for the tests.
var (
	cacheTextMax  = 16 << 10
	cacheBytesMax = 4 << 20
)

type cacheEntry struct {
	text  string
	stmts []*statement
}

// statement is one parsed statement with what its parse tree alone
// determines, derived once when it is parsed and shared, read-only, by every
// session that runs the same text.
type statement struct {
	raw *pg.RawStmt
	// txn: outside a transaction block, the statement runs as an internal
	// transaction (needsTxn).
	txn bool
	// accessesOnce guards accesses, the tables the statement reads and
	// writes, listed the first time an Authorizer asks.
	accessesOnce sync.Once
	accesses     []Access
	// execLocksOnce guards execLocks, the table locks a prepared execution takes before it is revalidated
	// (lockForExecute).
	execLocksOnce sync.Once
	execLocks     []relLock
	// plan is the translation plan of a top-level UPDATE or DELETE, for
	// the table it was recorded over (exprPlan).
	plan atomic.Pointer[exprPlan]
	// typesOK is the database and catalog generation at which the statement last ran through its type checks
	// (typecheck.go) without an error: until the catalog changes they would pass again there.
	typesOK atomic.Pointer[typesMark]
	// bad is the error PostgreSQL's analysis gives the statement whatever the catalog holds (a data-modifying
	// WITH query below the top level), returned when it runs or is prepared; nil for none.
	bad *Error
}

// typesMark is where a statement's type checks passed: a database, at a catalog generation.
type typesMark struct {
	db  string
	gen uint64
}

// isTop reports whether n is the statement's own UPDATE or DELETE (not
// one inside a WITH clause).
func (st *statement) isTop(n any) bool {
	switch v := n.(type) {
	case *pg.UpdateStmt:
		return st.raw.Stmt.GetUpdateStmt() == v
	case *pg.DeleteStmt:
		return st.raw.Stmt.GetDeleteStmt() == v
	}
	return false
}

// newStatement derives what a parse tree determines.
func newStatement(raw *pg.RawStmt) *statement {
	// SET (a, b) = ... is rewritten into one assignment a column here, once, before the tree is shared: the
	// statement's runs then only read it (an error is left for the run to report).
	walk(raw.Stmt.ProtoReflect(), func(m protoreflect.Message) bool {
		switch v := m.Interface().(type) {
		case *pg.UpdateStmt:
			_ = expandMultiAssign(v.TargetList)
		case *pg.OnConflictClause:
			_ = expandMultiAssign(v.TargetList)
		}
		return false
	})
	return &statement{raw: raw, txn: needsTxn(raw.Stmt)}
}

// nestedWritingWith is PostgreSQL's 0A000 for a WITH query that writes (INSERT, UPDATE, DELETE, MERGE) in a WITH
// clause other than the statement's own (EXPLAIN's, PREPARE's and CREATE TABLE AS's query's count as its own): in a
// subquery, a WITH query or a branch of a set operation. A view's query may hold none at all. Nil when n has none.
func nestedWritingWith(n *pg.Node) *Error {
	top, view := n, ""
	switch {
	case n.GetCreateFunctionStmt() != nil:
		return nil // a BEGIN ATOMIC body's statements are each at their own top level
	case n.GetExplainStmt() != nil:
		top = n.GetExplainStmt().Query
	case n.GetPrepareStmt() != nil:
		top = n.GetPrepareStmt().Query
	case n.GetCreateTableAsStmt() != nil && n.GetCreateTableAsStmt().Objtype == pg.ObjectType_OBJECT_MATVIEW:
		top, view = n.GetCreateTableAsStmt().Query, "materialized views must not use data-modifying statements in WITH"
	case n.GetCreateTableAsStmt() != nil:
		top = n.GetCreateTableAsStmt().Query
	case n.GetViewStmt() != nil:
		top, view = n.GetViewStmt().Query, "views must not contain data-modifying statements in WITH"
	}
	var own *pg.WithClause
	switch {
	case top.GetSelectStmt() != nil:
		own = top.GetSelectStmt().WithClause
	case top.GetInsertStmt() != nil:
		own = top.GetInsertStmt().WithClause
	case top.GetUpdateStmt() != nil:
		own = top.GetUpdateStmt().WithClause
	case top.GetDeleteStmt() != nil:
		own = top.GetDeleteStmt().WithClause
	case top.GetMergeStmt() != nil:
		own = top.GetMergeStmt().WithClause
	}
	var bad *Error
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		w, ok := m.Interface().(*pg.WithClause)
		if !ok {
			return false
		}
		for _, c := range w.Ctes {
			cte := c.GetCommonTableExpr()
			q := cte.GetCtequery()
			if q.GetInsertStmt() == nil && q.GetUpdateStmt() == nil && q.GetDeleteStmt() == nil && q.GetMergeStmt() == nil {
				continue
			}
			switch {
			case w != own:
				bad = &Error{Code: CodeFeatureNotSupported, Message: "WITH clause containing a data-modifying statement must be at the top level",
					Position: int(cte.Location) + 1}
			case view != "":
				bad = errorf(CodeFeatureNotSupported, "%s", view)
			default:
				continue
			}
			return true
		}
		return false
	})
	return bad
}

// access returns the statement's accesses, listed once.
func (st *statement) access() []Access {
	st.accessesOnce.Do(func() { st.accesses = accesses(st.raw.Stmt) })
	return st.accesses
}

func newStmtCache(max int) *stmtCache {
	return &stmtCache{max: max, ll: list.New(), m: make(map[string]*list.Element)}
}

// parse returns the statements of text, from the cache when it holds them.
// A syntax error is a 42601 *Error with the error's position; text that is
// not valid UTF-8 or holds a NUL byte is 22021, as PostgreSQL reports it.
func (c *stmtCache) parse(text string) ([]*statement, error) {
	c.mu.Lock()
	if el, ok := c.m[text]; ok {
		c.ll.MoveToFront(el)
		stmts := el.Value.(*cacheEntry).stmts
		c.mu.Unlock()
		return stmts, nil
	}
	c.mu.Unlock()
	raws, err := parse(text)
	if err != nil {
		return nil, err
	}
	stmts := make([]*statement, len(raws))
	mayWrite := containsFold(text, "with")
	for i, raw := range raws {
		stmts[i] = newStatement(raw)
		if mayWrite {
			stmts[i].bad = nestedWritingWith(raw.Stmt)
		}
	}
	if len(text) > cacheTextMax {
		return stmts, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[text]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*cacheEntry).stmts, nil
	}
	c.m[text] = c.ll.PushFront(&cacheEntry{text: text, stmts: stmts})
	c.bytes += len(text)
	for c.ll.Len() > c.max || c.bytes > cacheBytesMax {
		last := c.ll.Back()
		c.ll.Remove(last)
		text := last.Value.(*cacheEntry).text
		delete(c.m, text)
		c.bytes -= len(text)
	}
	return stmts, nil
}

// len returns the number of cached texts.
func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// windowingGrammarError reports whether a message of PostgreSQL's grammar is one of the frames it refuses
// (gram.y's frame_extent: "frame start cannot be UNBOUNDED FOLLOWING", "frame starting from current row cannot
// have preceding rows", ...), which PostgreSQL reports as 42P20, not as a syntax error.
func windowingGrammarError(msg string) bool {
	return strings.HasPrefix(msg, "frame start cannot be ") || strings.HasPrefix(msg, "frame end cannot be ") ||
		strings.HasPrefix(msg, "frame starting from ")
}

// parse runs PostgreSQL's grammar over text.
func parse(text string) ([]*pg.RawStmt, error) {
	if len(text) > MaxStatementBytes {
		return nil, errorf(CodeProgramLimitExceeded, "statement is too long (%d bytes, at most %d)", len(text), MaxStatementBytes)
	}
	if !utf8.ValidString(text) {
		return nil, errorf(CodeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\"")
	}
	if strings.IndexByte(text, 0) >= 0 {
		return nil, errorf(CodeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x00")
	}
	tree, err := pg.Parse(text)
	if err != nil {
		var pe *parser.Error
		if errors.As(err, &pe) {
			code := CodeSyntaxError
			if windowingGrammarError(pe.Message) {
				code = CodeWindowingError
			}
			return nil, &Error{Code: code, Message: pe.Message, Position: pe.Cursorpos}
		}
		return nil, &Error{Code: CodeSyntaxError, Message: err.Error()}
	}
	for _, st := range tree.Stmts {
		unqualifySchemaRefs(st)
	}
	return tree.Stmts, nil
}

// schemaNames are the schemas a column reference may name before its relation.
var schemaNames = map[string]bool{"pg_catalog": true, "public": true, "information_schema": true}

// unqualifySchemaRefs rewrites the column references that name their relation's schema, schema.relation.column
// (SQLAlchemy writes pg_catalog.pg_class.oid), as relation.column, which is how the evaluator resolves them (a
// third name is otherwise a path into a document field): when the statement reads that relation without an
// alias, under that schema or none.
func unqualifySchemaRefs(st *pg.RawStmt) {
	unaliased := map[[2]string]bool{} // {schema, relation} read without an alias
	found := false
	walk(st.ProtoReflect(), func(m protoreflect.Message) bool {
		switch v := m.Interface().(type) {
		case *pg.RangeVar:
			if v.Alias == nil {
				unaliased[[2]string{v.Schemaname, v.Relname}] = true
			}
		case *pg.ColumnRef:
			found = found || len(v.Fields) >= 3
		}
		return false
	})
	if !found {
		return
	}
	walk(st.ProtoReflect(), func(m protoreflect.Message) bool {
		cr, ok := m.Interface().(*pg.ColumnRef)
		if !ok || len(cr.Fields) < 3 {
			return false
		}
		schema, rel := cr.Fields[0].GetString_().GetSval(), cr.Fields[1].GetString_().GetSval()
		if schemaNames[schema] && (unaliased[[2]string{schema, rel}] || unaliased[[2]string{"", rel}]) {
			cr.Fields = cr.Fields[1:]
		}
		return false
	})
}

// containsFold reports whether s holds w, an ASCII word in lower case, in any case.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i]|0x20 == w[0] && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}
