package sql

import (
	"fmt"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Column defaults and sequences. A column's DEFAULT is kept in the table's catalog entry as SQL text and
// evaluated whenever an INSERT leaves the column out or names DEFAULT for it (and for UPDATE ... SET col =
// DEFAULT). serial, bigserial and smallserial columns, and GENERATED ... AS IDENTITY ones, own a sequence named
// <table>_<column>_seq, as in PostgreSQL, and default to nextval() of it.
//
// A sequence is a document {_id: name, last: n} in the database's system.sql_sequences collection. nextval
// increments it with one atomic findAndModify outside the statement's transaction, so that, as in PostgreSQL,
// concurrent sessions never get the same value and a rolled-back transaction leaves a gap rather than giving
// its values back.

// sequencesCollection holds the database's sequences.
const sequencesCollection = "system.sql_sequences"

// defaultMarker is the value of DEFAULT in an INSERT's VALUES list: the column's default goes in its place.
type defaultMarker struct{}

// isSerialType reports whether a column's type is serial, bigserial or smallserial (or serial2/4/8).
func isSerialType(tn *pg.TypeName) bool {
	if tn == nil || len(tn.Names) == 0 || len(tn.ArrayBounds) > 0 {
		return false
	}
	switch strings.ToLower(tn.Names[len(tn.Names)-1].GetString_().GetSval()) {
	case "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2":
		return true
	}
	return false
}

// sequenceName is the name PostgreSQL gives the sequence of a serial or identity column.
func sequenceName(table, col string) string {
	name := table + "_" + col + "_seq"
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// nextvalDefault is the DEFAULT of a column that takes its values from seq.
func nextvalDefault(seq string) string {
	return "nextval('" + strings.ReplaceAll(quoteIdent(seq), "'", "''") + "'::regclass)"
}

// defaultText turns a DEFAULT expression of a column of type oid into the SQL text kept in the catalog: a constant
// as PostgreSQL's pg_get_expr shows it (constDefault), anything else as written.
func defaultText(n *pg.Node, oid uint32) (string, error) {
	if text, ok, err := constDefault(n, oid); ok || err != nil {
		return text, err
	}
	var refused *Error
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		switch v := m.Interface().(type) {
		case *pg.ColumnRef:
			refused = errorf(CodeFeatureNotSupported, "cannot use column reference in DEFAULT expression")
		case *pg.SubLink:
			refused = errorf(CodeFeatureNotSupported, "cannot use subquery in DEFAULT expression")
		case *pg.ParamRef:
			refused = errorf(CodeFeatureNotSupported, "cannot use a parameter in DEFAULT expression")
		case *pg.FuncCall:
			if aggregates[funcName(v)] || v.Over != nil {
				refused = errorf(CodeGroupingError, "aggregate and window functions are not allowed in DEFAULT expressions")
			}
		}
		return refused != nil
	})
	if refused != nil {
		return "", refused
	}
	text, err := deparseExpr(n)
	if err != nil {
		return "", errorf(CodeSyntaxError, "cannot keep the DEFAULT expression: %v", err)
	}
	return text, nil
}

// labeledDefaults are the column types whose string-literal DEFAULT constDefault writes as PostgreSQL stores it
// (the literal read as the type, then shown with a cast), by the type's name in the cast (format_type without a
// type modifier).
var labeledDefaults = map[uint32]string{
	OIDText: "text", OIDVarchar: "character varying", OIDBpchar: "bpchar", OIDInt2: "smallint", OIDInt8: "bigint",
	OIDFloat4: "real", OIDFloat8: "double precision", OIDDate: "date", OIDJSONB: "jsonb", OIDInt4Array: "integer[]",
	OIDInt8Array: "bigint[]", OIDTextArray: "text[]", OIDUUID: "uuid", OIDInterval: "interval",
	OIDTime: "time without time zone", OIDInet: "inet", OIDCidr: "cidr", OIDJSON: "json",
}

// constDefault is the text PostgreSQL's pg_get_expr gives a DEFAULT that is a constant, which information_schema's
// column_default, psql's \d and pg_dump show (ORMs read it back: 'x'::character varying is the string x): a string
// literal is read as the column's type when the DEFAULT is made (22P02 for one that is not valid input) and shown
// as its output, cast to the type unless it is a boolean, a non-negative integer or a number with a decimal point;
// a number written as one keeps its own text (its cast to the column's type is implicit, and not shown); true and
// false are themselves. ok is false for anything else, and for string literals of other types, which are kept as
// written.
func constDefault(n *pg.Node, oid uint32) (text string, ok bool, err error) {
	c := n.GetAConst()
	if c == nil || c.Isnull {
		return "", false, nil
	}
	switch v := c.Val.(type) {
	case *pg.A_Const_Boolval:
		return strconv.FormatBool(v.Boolval.Boolval), true, nil
	case *pg.A_Const_Ival:
		return intConstText(strconv.FormatInt(int64(v.Ival.Ival), 10)), true, nil
	case *pg.A_Const_Fval:
		if d, err := coerce(v.Fval.Fval, OIDNumeric); err == nil {
			return numericConstText(formatTyped(d, OIDNumeric)), true, nil
		}
		return numericConstText(v.Fval.Fval), true, nil
	case *pg.A_Const_Sval:
		lit := v.Sval.Sval
		var label string
		switch oid {
		case OIDBool, OIDInt4, OIDNumeric:
		default:
			if label = labeledDefaults[oid]; label == "" {
				return "", false, nil
			}
		}
		val, err := coerce(lit, oid)
		if err != nil {
			if e, isErr := err.(*Error); isErr && e.Position == 0 {
				e.Position = int(c.Location) + 1
			}
			return "", false, err
		}
		out := formatTyped(val, oid)
		switch oid {
		case OIDBool:
			return strconv.FormatBool(val == true), true, nil
		case OIDInt4:
			return intConstText(out), true, nil
		case OIDNumeric:
			return numericConstText(out), true, nil
		}
		if strings.ContainsRune(out, '\\') {
			return "", false, nil // PostgreSQL writes it as an E'' string
		}
		return "'" + strings.ReplaceAll(out, "'", "''") + "'::" + label, true, nil
	}
	return "", false, nil
}

// intConstText is an integer constant as PostgreSQL deparses one: bare, or quoted and cast when negative.
func intConstText(s string) string {
	if strings.HasPrefix(s, "-") {
		return "'" + s + "'::integer"
	}
	return s
}

// numericConstText is a numeric constant as PostgreSQL deparses one: bare when it reads back as a number with a
// decimal point or exponent and no sign, else quoted and cast.
func numericConstText(s string) string {
	if s != "" && s[0] >= '0' && s[0] <= '9' && strings.ContainsAny(s, ".eE") {
		return s
	}
	return "'" + s + "'::numeric"
}

// columnDefault evaluates a column's DEFAULT (NULL when it has none).
func (x *exec) columnDefault(c *column) (any, error) {
	text := c.Default
	if text == "" && c.Domain != "" {
		_, domains, err := x.userTypes()
		if err != nil {
			return nil, err
		}
		text = domainDefault(domains[c.Domain], domains) // a column of a domain without a DEFAULT takes the domain's
	}
	if text == "" {
		return nil, nil
	}
	stmts, err := x.s.e.cache.parse("SELECT " + text)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 || stmts[0].raw.Stmt.GetSelectStmt() == nil || len(stmts[0].raw.Stmt.GetSelectStmt().TargetList) != 1 {
		return nil, errorf(CodeSyntaxError, "the DEFAULT of column %q is not one expression: %s", c.Name, c.Default)
	}
	return x.eval(stmts[0].raw.Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val, &scope{})
}

// defaultExpr is the parsed DEFAULT of a column, or a NULL constant when it has none (UPDATE ... SET col =
// DEFAULT).
func (x *exec) defaultExpr(c *column) (*pg.Node, error) {
	if c == nil || c.Default == "" {
		return &pg.Node{Node: &pg.Node_AConst{AConst: &pg.A_Const{Isnull: true}}}, nil
	}
	return x.keptExpr(c.Default)
}

// createSequence creates a sequence starting at 1.
func (x *exec) createSequence(name string) error {
	err := x.s.db().collection(sequencesCollection).insertOne(x.catWrite(), bson.D{{Key: "_id", Value: name}, {Key: "last", Value: int64(1)}, {Key: "called", Value: false}})
	if isDuplicateKey(err) {
		return errorf(CodeDuplicateTable, "relation %q already exists", name)
	}
	if err == nil {
		x.noteBlockSequence(name)
	}
	return err
}

// sequenceArg is the sequence a nextval, currval or setval argument names ('name' or 'name'::regclass, with
// an optional public. prefix).
func sequenceArg(v any) (string, error) {
	if r, isRel := v.(regclass); isRel {
		v = r.name
	}
	s, ok := v.(string)
	if !ok {
		return "", errorf(CodeInvalidParameterValue, "a sequence is named by text, not %T", v)
	}
	if strings.Contains(s, `"`) {
		// A quoted name, as pg_get_serial_sequence gives it (public."Users_id_seq"): read as regclass reads it.
		if n, ok := regclassInput(s, ""); ok {
			return n, nil
		}
	}
	return strings.TrimPrefix(s, "public."), nil
}

// nextval advances a sequence and returns its new value.
func (x *exec) nextval(v any) (any, error) {
	name, err := sequenceArg(v)
	if err != nil {
		return nil, err
	}
	coll := x.s.db().collection(sequencesCollection)
	ctx := x.seqCtx(name)
	if ctx == x.base {
		// A sequence another block created and has not committed is no one else's yet: 42P01 at once, where the
		// update would wait for that block.
		if _, err := coll.findOne(ctx, bson.D{{Key: "_id", Value: name}}); isNoDocuments(err) {
			return nil, errorf(CodeUndefinedTable, "relation %q does not exist", name)
		}
	}
	doc, err := coll.findOneAndUpdate(ctx, bson.D{{Key: "_id", Value: name}}, nextStep)
	if err == errNoDocuments {
		return nil, errorf(CodeUndefinedTable, "relation %q does not exist", name)
	}
	if err != nil {
		return nil, err
	}
	if _, ok := doc.Lookup("last").AsInt64OK(); !ok {
		return nil, errorf(CodeInternalError, "sequence %q holds no number", name)
	}
	s := seqOf(doc)
	if s.full {
		bound, which := s.max, "maximum"
		if s.inc < 0 {
			bound, which = s.min, "minimum"
		}
		return nil, errorf("2200H", "nextval: reached %s value of sequence \"%s\" (%d)", which, name, bound)
	}
	x.s.rememberSequence(name, s.last)
	x.s.lastSeq = name
	if ctx != x.base {
		x.noteHanded(name, s.last, s.inc)
	}
	return s.last, nil
}

// setval sets a sequence's last value: the next nextval returns n+1 (n when called is false).
func (x *exec) setval(v any, n any, called bool) (any, error) {
	name, err := sequenceArg(v)
	if err != nil {
		return nil, err
	}
	val, ok := n.(int64)
	if !ok {
		return nil, errorf(CodeInvalidParameterValue, "setval needs a bigint value, not %T", n)
	}
	coll := x.s.db().collection(sequencesCollection)
	doc, err := coll.findOne(x.seqCtx(name), bson.D{{Key: "_id", Value: name}})
	if isNoDocuments(err) {
		return nil, errorf(CodeUndefinedTable, "relation %q does not exist", name)
	} else if err != nil {
		return nil, err
	}
	s := seqOf(doc)
	if val < s.min || val > s.max {
		return nil, errorf(CodeNumericOutOfRange,
			"setval: value %d is out of bounds for sequence \"%s\" (%d..%d)", val, name, s.min, s.max)
	}
	_, err = x.s.db().collection(sequencesCollection).findOneAndUpdate(x.seqCtx(name),
		bson.D{{Key: "_id", Value: name}}, bson.D{{Key: "$set", Value: bson.D{{Key: "last", Value: val}, {Key: "called", Value: called}}}})
	if err == errNoDocuments {
		return nil, errorf(CodeUndefinedTable, "relation %q does not exist", name)
	}
	if err != nil {
		return nil, err
	}
	if called {
		x.s.rememberSequence(name, val)
	}
	return val, nil
}

// currval is the value nextval last returned for the sequence in this session.
func (x *exec) currval(v any) (any, error) {
	name, err := sequenceArg(v)
	if err != nil {
		return nil, err
	}
	n, ok := x.s.sequences[name]
	if !ok {
		return nil, errorf(CodeObjectNotInPrerequisiteState, "currval of sequence %q is not yet defined in this session", name)
	}
	return n, nil
}

// rememberSequence records the value nextval gave in this session, for currval and lastval.
func (s *Session) rememberSequence(name string, n int64) {
	if s.sequences == nil {
		s.sequences = map[string]int64{}
	}
	s.sequences[name] = n
}

// checkIdentity refuses a value given for a GENERATED ALWAYS AS IDENTITY column, as PostgreSQL does.
func checkIdentity(t *table, names []string, row []any) error {
	for i, n := range names {
		c := t.column(n)
		if c == nil || c.Identity != "a" || i >= len(row) {
			continue
		}
		if _, ok := row[i].(defaultMarker); !ok {
			return &Error{Code: CodeGeneratedAlways, Message: fmt.Sprintf("cannot insert a non-DEFAULT value into column %q", n),
				Detail: fmt.Sprintf("Column %q is an identity column defined as GENERATED ALWAYS.", n),
				Hint:   "Use OVERRIDING SYSTEM VALUE to override."}
		}
	}
	return nil
}

// overrideUserValues replaces the values row gives identity columns of t with DEFAULT, as INSERT ... OVERRIDING
// USER VALUE ignores them.
func overrideUserValues(t *table, names []string, row []any) {
	for i, n := range names {
		if c := t.column(n); c != nil && c.Identity != "" && i < len(row) {
			row[i] = defaultMarker{}
		}
	}
}

// checkIdentityUpdate refuses, as PostgreSQL does (428C9), a SET list that gives a GENERATED ALWAYS identity column
// of t a value other than DEFAULT.
func checkIdentityUpdate(t *table, targets []*pg.Node) error {
	for _, tg := range targets {
		rt := tg.GetResTarget()
		if c := t.column(rt.Name); c != nil && c.Generated != "" && rt.Val.GetSetToDefault() == nil {
			return &Error{Code: CodeGeneratedAlways, Message: fmt.Sprintf("column %q can only be updated to DEFAULT", rt.Name),
				Detail: fmt.Sprintf("Column %q is a generated column.", rt.Name)}
		}
		if c := t.column(rt.Name); c != nil && c.Identity == "a" && rt.Val.GetSetToDefault() == nil {
			return &Error{Code: CodeGeneratedAlways, Message: fmt.Sprintf("column %q can only be updated to DEFAULT", rt.Name),
				Detail: fmt.Sprintf("Column %q is an identity column defined as GENERATED ALWAYS.", rt.Name)}
		}
	}
	return nil
}

// fillDefault gives the rows of t that lack column c (just added by ALTER TABLE ... ADD COLUMN) its default,
// evaluated for each row, as PostgreSQL fills the existing rows; a column without a default leaves them NULL.
// Rows written while it runs get the default from their INSERT.
func (x *exec) fillDefault(t *table, c *column) error {
	if c.Default == "" {
		return nil
	}
	field := t.field(c.Name)
	coll := x.s.db().collection(t.Name)
	missing := bson.E{Key: field, Value: bson.D{{Key: "$exists", Value: false}}}
	ctx := x.catWrite() // in a block, the rows are filled in its transaction
	docs, err := coll.find(ctx, bson.D{missing}, bson.D{{Key: "_id", Value: 1}}, 0)
	if err != nil {
		return err
	}
	for _, d := range docs {
		v, err := x.columnDefault(c)
		if err != nil {
			return err
		}
		sv, err := toStored(v, c.Type, c.TypMod)
		if err != nil {
			return err
		}
		if _, err := coll.updateOne(withoutValidation(ctx), bson.D{{Key: "_id", Value: d.Lookup("_id")}, missing},
			bson.D{{Key: "$set", Value: bson.D{{Key: field, Value: sv}}}}); err != nil {
			return err
		}
	}
	return nil
}

// deparseExpr writes an expression as SQL text, as PostgreSQL's deparser does.
func deparseExpr(n *pg.Node) (string, error) {
	// A parse of the expression in a SELECT gives the tree Deparse takes, with the parser's version.
	tree, err := pg.Parse("SELECT NULL")
	if err != nil {
		return "", err
	}
	tree.Stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val = n
	text, err := pg.Deparse(tree)
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(text, "SELECT "), nil
}

// parseExpr parses the SQL text of one expression (a kept DEFAULT or CHECK).
func parseExpr(text string) (*pg.Node, error) {
	tree, err := pg.Parse("SELECT " + text)
	if err != nil {
		return nil, err
	}
	if len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil || len(tree.Stmts[0].Stmt.GetSelectStmt().TargetList) != 1 {
		return nil, errorf(CodeSyntaxError, "not one expression: %s", text)
	}
	return tree.Stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val, nil
}

// callsVolatile reports whether a default's SQL text calls a volatile function (nextval, random, ...), whose value
// must not be drawn more often than PostgreSQL draws it.
func callsVolatile(text string) bool {
	lower := strings.ToLower(text)
	for name := range volatileFuncs {
		if strings.Contains(lower, name+"(") {
			return true
		}
	}
	return false
}
