package sql

import (
	"context"
	"fmt"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Generated columns: GENERATED ALWAYS AS (expr) STORED, as PostgreSQL's. The expression is kept as SQL text in the
// column's catalog entry and evaluated over the row whenever the row is written through SQL: an INSERT (COPY,
// MERGE and ON CONFLICT's inserts too) computes it with the row's other values (document1), and an UPDATE that
// writes a column the expression reads, or the generated column itself (SET col = DEFAULT), computes it again
// from the row as updated, in the statement's transaction (genColl). A value given for the column is refused
// (428C9), as are expressions that read another generated column, are not immutable, or hold a subquery,
// an aggregate or a window function. Writes over the MongoDB port compute the expressions the storage can
// (computes.go).

// stableFuncs are the functions that read the session or the time (PostgreSQL's STABLE): with volatileFuncs, those
// whose value a generation or index expression may not read.
var stableFuncs = map[string]bool{
	"currval": true, "lastval": true, "now": true, "statement_timestamp": true, "transaction_timestamp": true,
	"timeofday": true, "current_setting": true, "set_config": true, "to_char": true, "age": true,
	"current_database": true, "current_schema": true, "current_user": true, "version": true, "pg_backend_pid": true,
	"txid_current": true, "to_timestamp": true,
}

// generatedExpr checks the generation expression n of t's column col (with index, an index expression: col is "")
// and returns the columns it reads, with PostgreSQL's errors, worded for the kind of expression, for what it
// refuses.
func generatedExpr(t *table, col string, n *pg.Node, index bool) ([]string, error) {
	where, immutable := "column generation expression", errorf("42P17", "generation expression is not immutable")
	if index {
		where, immutable = "index expression", errorf("42P17", "functions in index expression must be marked IMMUTABLE")
	}
	var refused error
	var cols []string
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		switch v := m.Interface().(type) {
		case *pg.SubLink:
			refused = errorf(CodeFeatureNotSupported, "cannot use subquery in %s", where)
		case *pg.ParamRef:
			refused = errorf(CodeUndefinedParameter, "there is no parameter $%d", v.Number)
		case *pg.FuncCall:
			switch name := funcName(v); {
			case aggregates[name]:
				refused = errorf(CodeGroupingError, "aggregate functions are not allowed in %ss", where)
			case v.Over != nil:
				refused = errorf("42P20", "window functions are not allowed in %ss", where)
			case volatileFuncs[name] || stableFuncs[name]:
				refused = immutable
			}
		case *pg.SQLValueFunction:
			refused = immutable
		case *pg.ColumnRef:
			name := ""
			if len(v.Fields) > 0 {
				name = v.Fields[len(v.Fields)-1].GetString_().GetSval()
			}
			c := t.column(name)
			switch {
			case len(v.Fields) != 1 || c == nil:
				refused = &Error{Code: CodeUndefinedColumn, Message: fmt.Sprintf("column \"%s\" does not exist", name), Position: int(v.Location) + 1}
			case (c.Generated != "" || name == col) && index:
				refused = unsupported("an index expression that reads a generated column")
			case c.Generated != "" || name == col:
				refused = &Error{Code: "42P17", Message: fmt.Sprintf("cannot use generated column \"%s\" in column generation expression", name),
					Detail: "A generated column cannot reference another generated column.", Position: int(v.Location) + 1}
			case !slices.Contains(cols, name):
				cols = append(cols, name)
			}
		}
		return refused != nil
	})
	return cols, refused
}

// exprColumns are the columns a kept expression names (unqualified column references), each once.
func exprColumns(n *pg.Node) []string {
	var cols []string
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if cr, ok := m.Interface().(*pg.ColumnRef); ok && len(cr.Fields) == 1 {
			if name := cr.Fields[0].GetString_().GetSval(); name != "" && !slices.Contains(cols, name) {
				cols = append(cols, name)
			}
		}
		return false
	})
	return cols
}

// keptExpr is the tree of an expression the catalog keeps as text (a generation or index expression), from the
// statement cache, as a column's DEFAULT is read (defaultExpr): rows written read it without parsing it again.
func (x *exec) keptExpr(text string) (*pg.Node, error) {
	stmts, err := x.s.e.cache.parse("SELECT " + text)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 || stmts[0].raw.Stmt.GetSelectStmt() == nil || len(stmts[0].raw.Stmt.GetSelectStmt().TargetList) != 1 {
		return nil, errorf(CodeSyntaxError, "not one expression: %s", text)
	}
	return stmts[0].raw.Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val, nil
}

// generatedColumns checks the generation expressions of t's columns once t has all of them (CREATE TABLE, ADD
// COLUMN), and evaluates them over a row of NULLs, so that a function or cast Concord lacks is found now rather
// than at the first INSERT. stmt is the statement's tree, whose expressions give errors their positions.
func (x *exec) generatedColumns(t *table, stmt *pg.Node) error {
	raw := map[string]*pg.Node{}
	if stmt != nil {
		walk(stmt.ProtoReflect(), func(m protoreflect.Message) bool {
			if cd, ok := m.Interface().(*pg.ColumnDef); ok {
				for _, cn := range cd.Constraints {
					if con := cn.GetConstraint(); con.GetContype() == pg.ConstrType_CONSTR_GENERATED {
						raw[cd.Colname] = con.RawExpr
					}
				}
			}
			return false
		})
	}
	for _, c := range t.Columns {
		if c.Generated == "" {
			continue
		}
		if slices.Contains(t.Key, c.Name) {
			return unsupported("a generated column in the primary key (it is the documents' _id)")
		}
		n := raw[c.Name]
		if n == nil {
			var err error
			if n, err = parseExpr(c.Generated); err != nil {
				return err
			}
		}
		if _, err := generatedExpr(t, c.Name, n, false); err != nil {
			return err
		}
	}
	if !t.hasGenerated() {
		return nil
	}
	_, _, err := x.generatedValues(t, bson.Raw(bsonEmptyDoc))
	if code := errCode(err); code == CodeUndefinedFunction || code == CodeUndefinedColumn || code == CodeDatatypeMismatch {
		return err
	}
	return nil
}

// bsonEmptyDoc is an empty BSON document.
var bsonEmptyDoc = []byte{5, 0, 0, 0, 0}

// hasGenerated reports whether t has a generated column or a computed field (exprindex.go): values its writes
// compute.
func (t *table) hasGenerated() bool {
	return len(t.Computed) > 0 || slices.ContainsFunc(t.Columns, func(c column) bool { return c.Generated != "" })
}

// generatedReads are the columns t's generation and index expressions read, and the generated columns
// themselves: an update that writes none of their fields leaves the computed values as they are. Expressions the
// storage computes (storageComputes) are left out: every write computes them, atomically with it, so an update of
// the columns they read stays one operation, without a transaction.
func (x *exec) generatedReads(t *table) []string {
	var out []string
	byStorage := x.storageComputes(t)
	for _, c := range t.Columns {
		if c.Generated == "" || byStorage[t.field(c.Name)] {
			continue
		}
		out = append(out, c.Name)
		if n, err := x.keptExpr(c.Generated); err == nil {
			out = append(out, exprColumns(n)...)
		}
	}
	for _, c := range t.Computed {
		if byStorage[c.Field] {
			continue
		}
		if n, err := x.keptExpr(c.Expr); err == nil {
			out = append(out, exprColumns(n)...)
		}
	}
	return out
}

// generatedValues computes t's generated columns over a stored row: the fields to set, in the columns' stored
// form, and the fields to remove (a NULL value).
func (x *exec) generatedValues(t *table, doc bson.Raw) (set bson.D, unset []string, err error) {
	var targets []*pg.Node
	var gens []*column
	for i := range t.Columns {
		c := &t.Columns[i]
		if c.Generated == "" {
			continue
		}
		n, err := x.keptExpr(c.Generated)
		if err != nil {
			return nil, nil, err
		}
		targets = append(targets, &pg.Node{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Val: n}}})
		gens = append(gens, c)
	}
	for _, c := range t.Computed {
		n, err := x.keptExpr(c.Expr)
		if err != nil {
			return nil, nil, err
		}
		targets = append(targets, &pg.Node{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Val: n}}})
	}
	if len(targets) == 0 {
		return nil, nil, nil
	}
	cols := tableCols(t, t.Name)
	rel, err := x.project(&pg.SelectStmt{TargetList: targets}, &relation{cols: cols, rows: [][]any{rowOf(cols, doc)}}, nil, -1)
	if err != nil {
		return nil, nil, err
	}
	for i, c := range gens {
		v := rel.rows[0][i]
		if v == nil {
			if c.NotNull {
				return nil, nil, notNull(t.Name, c.Name)
			}
			unset = append(unset, t.field(c.Name))
			continue
		}
		sv, err := toStored(v, c.Type, c.TypMod)
		if err != nil {
			return nil, nil, err
		}
		set = append(set, bson.E{Key: t.field(c.Name), Value: sv})
	}
	for i, c := range t.Computed {
		v := rel.rows[0][len(gens)+i]
		if v == nil {
			unset = append(unset, c.Field)
			continue
		}
		sv, err := toBSON(v, 0)
		if err != nil {
			return nil, nil, err
		}
		set = append(set, bson.E{Key: c.Field, Value: sv})
	}
	return set, unset, nil
}

// withGenerated is a document of t with its generated columns computed, in place of any values doc had for them.
func (x *exec) withGenerated(t *table, doc bson.D) (bson.D, error) {
	raw, err := bson.Marshal(doc)
	if err != nil {
		return nil, err
	}
	set, unset, err := x.generatedValues(t, raw)
	if err != nil {
		return nil, err
	}
	out := make(bson.D, 0, len(doc)+len(set))
	for _, e := range doc {
		if !slices.ContainsFunc(set, func(s bson.E) bool { return s.Key == e.Key }) && !slices.Contains(unset, e.Key) {
			out = append(out, e)
		}
	}
	return append(out, set...), nil
}

// checkGenerated refuses a value other than DEFAULT given for a generated column of t (INSERT, COPY, MERGE's
// INSERT), as PostgreSQL does even with OVERRIDING SYSTEM VALUE.
func checkGenerated(t *table, names []string, row []any) error {
	for i, n := range names {
		c := t.column(n)
		if c == nil || c.Generated == "" || i >= len(row) {
			continue
		}
		if _, ok := row[i].(defaultMarker); !ok {
			return &Error{Code: CodeGeneratedAlways, Message: fmt.Sprintf("cannot insert a non-DEFAULT value into column %q", n),
				Detail: fmt.Sprintf("Column %q is a generated column.", n)}
		}
	}
	return nil
}

// genColl is the collection of a table with generated columns for a statement's updates: an update that writes
// a field a generation expression reads (or a generated column) is followed, in the statement's transaction, by
// the generated values computed from the row as updated (outside a transaction, the update asks for one:
// errNeedsTxn, before anything is written).
type genColl struct {
	backendColl
	x     *exec
	t     *table
	reads []string
}

// touches reports whether update may write a field of a column in c.reads: an update document whose operators
// name only other fields does not; anything else (a pipeline, a replacement) may.
func (c genColl) touches(update any) bool {
	d, ok := update.(bson.D)
	if !ok {
		return true
	}
	for _, op := range d {
		fields, ok := op.Value.(bson.D)
		if !ok || !strings.HasPrefix(op.Key, "$") {
			return true
		}
		for _, f := range fields {
			head, _, _ := strings.Cut(f.Key, ".")
			for _, r := range c.reads {
				if rh, _, _ := strings.Cut(c.t.field(r), "."); rh == head {
					return true
				}
			}
		}
	}
	return false
}

// recompute writes the generated values of the row after, as updated, when they differ from its own; it returns
// the row as it is then.
func (c genColl) recompute(ctx context.Context, after bson.Raw) (bson.Raw, error) {
	set, unset, err := c.x.generatedValues(c.t, after)
	if err != nil {
		return nil, err
	}
	upd := bson.D{}
	var changed bson.D
	for _, e := range set {
		if rv, err := after.LookupErr(strings.Split(e.Key, ".")...); err == nil {
			if want, err := bsonValue(e.Value); err == nil && want.Equal(rv) {
				continue
			}
		}
		changed = append(changed, e)
	}
	if len(changed) > 0 {
		upd = append(upd, bson.E{Key: "$set", Value: changed})
	}
	var gone bson.D
	for _, f := range unset {
		if _, err := after.LookupErr(strings.Split(f, ".")...); err == nil {
			gone = append(gone, bson.E{Key: f, Value: ""})
		}
	}
	if len(gone) > 0 {
		upd = append(upd, bson.E{Key: "$unset", Value: gone})
	}
	if len(upd) == 0 {
		return after, nil
	}
	return c.backendColl.findOneAndUpdate(ctx, bson.D{{Key: "_id", Value: after.Lookup("_id")}}, upd)
}

func (c genColl) findOneAndUpdate(ctx context.Context, filter bson.D, update any) (bson.Raw, error) {
	if !c.touches(update) {
		return c.backendColl.findOneAndUpdate(ctx, filter, update)
	}
	if !c.x.inTxn {
		return nil, errNeedsTxn
	}
	after, err := c.backendColl.findOneAndUpdate(ctx, filter, update)
	if err != nil {
		return nil, err
	}
	return c.recompute(ctx, after)
}

func (c genColl) updateOne(ctx context.Context, filter bson.D, update any) (int64, error) {
	if !c.touches(update) {
		return c.backendColl.updateOne(ctx, filter, update)
	}
	return updatedCount(c.findOneAndUpdate(ctx, filter, update))
}

// updateMany updates the matching documents one at a time, each computed again as it is written.
func (c genColl) updateMany(ctx context.Context, filter bson.D, update any) (int64, error) {
	if !c.touches(update) {
		return c.backendColl.updateMany(ctx, filter, update)
	}
	if !c.x.inTxn {
		return 0, errNeedsTxn
	}
	return eachMatch(c.x, c.backendColl, filter, func(f bson.D) error {
		_, err := c.findOneAndUpdate(ctx, f, update)
		return err
	})
}

func (c genColl) replaceOne(ctx context.Context, filter bson.D, doc any) error {
	var d bson.D
	switch v := doc.(type) {
	case bson.D:
		d = v
	default:
		raw, err := bson.Marshal(doc)
		if err != nil {
			return err
		}
		if err := bson.Unmarshal(raw, &d); err != nil {
			return err
		}
	}
	d, err := c.x.withGenerated(c.t, d)
	if err != nil {
		return err
	}
	return c.backendColl.replaceOne(ctx, filter, d)
}

// fillGenerated computes the generated columns of every row of t, as ADD COLUMN ... GENERATED does for the rows
// there are: in the block's transaction, or in one of its own.
func (x *exec) fillGenerated(t *table) error {
	fill := func(ctx context.Context) error {
		coll := x.s.db().collection(t.Name)
		docs, err := coll.find(ctx, bson.D{}, nil, 0)
		if err != nil {
			return err
		}
		g := genColl{backendColl: coll, x: x, t: t}
		for _, d := range docs {
			if _, err := g.recompute(withoutValidation(ctx), d); err != nil {
				return err
			}
		}
		return nil
	}
	if x.inBlock() {
		return fill(x.ctx)
	}
	return x.s.e.b.withTransaction(x.base, fill)
}

// defaultExpr is the expression pg_attrdef holds for c: its DEFAULT (not an identity column's nextval) or its
// generation expression; "" for none.
func (c column) defaultExpr() string {
	switch {
	case c.Generated != "":
		return c.Generated
	case c.Identity == "":
		return c.Default
	}
	return ""
}

// attGenerated is pg_attribute.attgenerated: "s" for a stored generated column.
func attGenerated(c column) string {
	if c.Generated != "" {
		return "s"
	}
	return ""
}

// exprDisplay is an expression's SQL text as pg_get_expr gives it: an operator's expression in parentheses, but
// in the pretty form.
func exprDisplay(text string, pretty bool) string {
	text = sqlValueKeywords(text)
	if pretty || wrapped(text) {
		return text
	}
	if n, err := parseExpr(text); err == nil && n.GetAExpr() != nil && n.GetAExpr().Kind == pg.A_Expr_Kind_AEXPR_OP {
		return "(" + text + ")"
	}
	return text
}

// sqlValueKeywords writes the SQL value functions of an expression's text (current_date, current_timestamp,
// localtime, current_user, ...) in upper case outside its string literals, as PostgreSQL's deparser writes them.
func sqlValueKeywords(text string) string {
	if !strings.Contains(text, "current_") && !strings.Contains(text, "local") && !strings.Contains(text, "session_user") {
		return text
	}
	var b strings.Builder
	inQuote := false
	word := func(i int) string {
		j := i
		for j < len(text) && (text[j] == '_' || text[j] >= 'a' && text[j] <= 'z') {
			j++
		}
		return text[i:j]
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c == '\'' {
			inQuote = !inQuote
		}
		if inQuote || !(c >= 'a' && c <= 'z' || c == '_') || i > 0 && (text[i-1] == '_' || text[i-1] == '.' || text[i-1] == '"' || text[i-1] >= 'a' && text[i-1] <= 'z' || text[i-1] >= '0' && text[i-1] <= '9') {
			b.WriteByte(c)
			i++
			continue
		}
		w := word(i)
		next := i + len(w)
		switch w {
		case "current_date", "current_time", "current_timestamp", "localtime", "localtimestamp", "current_role",
			"current_user", "session_user", "current_catalog", "current_schema":
			if next < len(text) && text[next] == '(' && (w == "current_date" || w == "current_user" || w == "session_user" || w == "current_role" || w == "current_catalog") {
				b.WriteString(w) // a call of that name, not the keyword
			} else {
				b.WriteString(strings.ToUpper(w))
			}
		default:
			b.WriteString(w)
		}
		i = next
	}
	return b.String()
}

// generatedReaders are the generated columns of t whose expressions read column col.
func generatedReaders(t *table, col string) []string {
	var out []string
	for _, c := range t.Columns {
		if c.Generated == "" || c.Name == col {
			continue
		}
		if n, err := parseExpr(c.Generated); err == nil {
			if slices.Contains(exprColumns(n), col) {
				out = append(out, c.Name)
			}
		}
	}
	return out
}

// wrapped reports whether text is in parentheses from its first character to its last.
func wrapped(text string) bool {
	if !strings.HasPrefix(text, "(") || !strings.HasSuffix(text, ")") {
		return false
	}
	depth, quote := 0, false
	for i, r := range text {
		switch {
		case r == '\'':
			quote = !quote
		case quote:
		case r == '(':
			depth++
		case r == ')':
			depth--
			if depth == 0 && i < len(text)-1 {
				return false
			}
		}
	}
	return depth == 0
}
