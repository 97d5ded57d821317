package sql

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// CREATE, ALTER and DROP SEQUENCE, as PostgreSQL's migrations and pg_dump write them. A sequence is a document of
// system.sql_sequences: last, the value nextval gave last (or, while called is false, the value it gives next,
// as PostgreSQL's is_called), and inc, min, max and start when they are not 1, 1, the largest bigint and 1 (a
// serial column's sequence has last only). nextval steps in one atomic update that stays within the bounds: a
// sequence without CYCLE stops: nextval at its end is 2200H and leaves it there; one with CYCLE starts again at its
// minimum (or, descending, its maximum).

// seqOptions are a sequence's options as CREATE or ALTER SEQUENCE give them.
type seqOptions struct {
	inc, min, max, start   int64
	hasStart, hasRestart   bool
	restart                int64
	hasRestartValue        bool
	hasInc, hasMin, hasMax bool
	noMin, noMax           bool // NO MINVALUE, NO MAXVALUE
	hasCycle, cycle        bool // CYCLE or NO CYCLE given, and which
}

// defInt reads an option's integer value (pg_query keeps those past 32 bits as Float text).
func defInt(d *pg.DefElem) (int64, error) {
	switch v := d.Arg.GetNode().(type) {
	case *pg.Node_Integer:
		return int64(v.Integer.Ival), nil
	case *pg.Node_Float:
		if n, err := strconv.ParseInt(v.Float.Fval, 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, errorf(CodeSyntaxError, "%s requires a numeric value", d.Defname)
}

// readSeqOptions reads the options of CREATE or ALTER SEQUENCE.
func readSeqOptions(opts []*pg.Node) (seqOptions, error) {
	o := seqOptions{inc: 1}
	for _, n := range opts {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		var err error
		switch d.Defname {
		case "increment":
			o.hasInc = true
			if o.inc, err = defInt(d); err == nil && o.inc == 0 {
				err = errorf(CodeInvalidParameterValue, "INCREMENT must not be zero")
			}
		case "start":
			o.hasStart = true
			o.start, err = defInt(d)
		case "restart":
			o.hasRestart = true
			if d.Arg != nil {
				o.hasRestartValue = true
				o.restart, err = defInt(d)
			}
		case "minvalue":
			if d.Arg != nil {
				o.hasMin = true
				o.min, err = defInt(d)
			} else {
				o.noMin = true
			}
		case "maxvalue":
			if d.Arg != nil {
				o.hasMax = true
				o.max, err = defInt(d)
			} else {
				o.noMax = true
			}
		case "cycle":
			o.hasCycle = true
			o.cycle, _ = defElemBool(d)
		case "cache", "as", "owned_by", "sequence_name", "logged":
			// A cache only changes which values a crash skips; the type and the owning column change nothing here.
		default:
			err = unsupported(fmt.Sprintf("the sequence option %s", d.Defname))
		}
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

// bounds are the sequence's limits: as given, else PostgreSQL's defaults for an ascending or descending one.
func (o seqOptions) bounds() (min, max int64) {
	min, max = defaultBounds(o.inc)
	if o.hasMin {
		min = o.min
	}
	if o.hasMax {
		max = o.max
	}
	return min, max
}

// defaultBounds are PostgreSQL's bounds of an ascending (inc > 0) or descending sequence.
func defaultBounds(inc int64) (min, max int64) {
	if inc < 0 {
		return math.MinInt64, -1
	}
	return 1, math.MaxInt64
}

// createSequenceStmt runs CREATE SEQUENCE [IF NOT EXISTS] name [options].
func (x *exec) createSequenceStmt(cs *pg.CreateSeqStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "CREATE SEQUENCE"}, nil
	}
	o, err := readSeqOptions(cs.Options)
	if err != nil {
		return nil, err
	}
	name := cs.Sequence.Relname
	doc, err := seqDoc(name, o)
	if err != nil {
		return nil, err
	}
	if _, found, err := x.relationByName(name); err != nil {
		return nil, err
	} else if found {
		if cs.IfNotExists {
			x.warn(&Error{Code: CodeDuplicateTable, Severity: "NOTICE", Message: fmt.Sprintf("relation \"%s\" already exists, skipping", name)})
			return &Result{Tag: "CREATE SEQUENCE"}, nil
		}
		return nil, errorf(CodeDuplicateTable, "relation \"%s\" already exists", name)
	}
	err = x.s.db().collection(sequencesCollection).insertOne(x.catWrite(), doc)
	if err == nil {
		x.noteBlockSequence(name)
	}
	if isDuplicateKey(err) {
		if cs.IfNotExists {
			x.warn(&Error{Code: CodeDuplicateTable, Severity: "NOTICE", Message: fmt.Sprintf("relation \"%s\" already exists, skipping", name)})
			return &Result{Tag: "CREATE SEQUENCE"}, nil
		}
		return nil, errorf(CodeDuplicateTable, "relation \"%s\" already exists", name)
	}
	if err != nil {
		return nil, err
	}
	if owner := ownedBy(cs.Options); owner != nil {
		if err := x.setOwnedBy(name, owner); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: "CREATE SEQUENCE"}, nil
}

// seqDoc is the document of a new sequence name with options o; bounds that contradict each other, or a start
// outside them, are 22023.
func seqDoc(name string, o seqOptions) (bson.D, error) {
	min, max := o.bounds()
	start := min
	if o.inc < 0 {
		start = max
	}
	if o.hasStart {
		start = o.start
	}
	if min >= max {
		return nil, errorf(CodeInvalidParameterValue, "MINVALUE (%d) must be less than MAXVALUE (%d)", min, max)
	}
	if err := inBounds("START", start, min, max); err != nil {
		return nil, err
	}
	doc := bson.D{{Key: "_id", Value: name}, {Key: "last", Value: start}, {Key: "called", Value: false}, {Key: "inc", Value: o.inc},
		{Key: "min", Value: min}, {Key: "max", Value: max}, {Key: "start", Value: start}}
	if o.cycle {
		doc = append(doc, bson.E{Key: "cycle", Value: true})
	}
	return doc, nil
}

// ownedBy reads the OWNED BY option of CREATE or ALTER SEQUENCE: [schema.]table.column, or NONE (an empty,
// non-nil list); nil when the statement has none.
func ownedBy(opts []*pg.Node) []string {
	for _, n := range opts {
		if d := n.GetDefElem(); d != nil && d.Defname == "owned_by" {
			names := []string{}
			for _, p := range d.Arg.GetList().GetItems() {
				names = append(names, p.GetString_().GetSval())
			}
			if len(names) == 1 && strings.EqualFold(names[0], "none") {
				return []string{}
			}
			return names
		}
	}
	return nil
}

// setOwnedBy makes sequence seq owned by a column (OWNED BY table.column, as pg_dump restores a serial
// column's): DROP TABLE then drops it, and the catalogs show the column's ownership. OWNED BY NONE (owner empty)
// takes it from the column that owns it. A column owns one sequence here: another is 0A000.
func (x *exec) setOwnedBy(seq string, owner []string) error {
	if len(owner) != 0 && (len(owner) < 2 || len(owner) > 3 || len(owner) == 3 && owner[0] != "public") {
		return errorf(CodeSyntaxError, "invalid OWNED BY option")
	}
	tables, _, err := x.declaredTables()
	if err != nil {
		return err
	}
	for _, t := range tables { // the column that owns it now lets it go
		for _, c := range t.Columns {
			if c.Sequence == seq && (len(owner) == 0 || t.Name != owner[len(owner)-2] || c.Name != owner[len(owner)-1]) {
				if c.Identity != "" {
					return errorf(CodeFeatureNotSupported, "cannot change ownership of identity sequence")
				}
				nt := *t
				nt.Columns = slices.Clone(t.Columns)
				nt.column(c.Name).Sequence = ""
				if err := x.saveTable(&nt); err != nil {
					return err
				}
			}
		}
	}
	if len(owner) == 0 {
		return nil
	}
	t, err := x.lookupTable(owner[len(owner)-2], 0)
	if err != nil {
		return err
	}
	if err := notAView(t); err != nil {
		return errorf(CodeWrongObjectType, "sequence must have same owner as table it is linked to")
	}
	col := t.column(owner[len(owner)-1])
	if col == nil {
		return errorf(CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", owner[len(owner)-1], t.Name)
	}
	switch col.Sequence {
	case seq:
		return nil
	case "":
	default:
		return unsupported(fmt.Sprintf("a column owning two sequences (%s owns %s)", col.Name, col.Sequence))
	}
	nt := *t
	nt.Columns = slices.Clone(t.Columns)
	nt.column(col.Name).Sequence = seq
	return x.saveTable(&nt)
}

// alterSequence runs ALTER SEQUENCE [IF EXISTS] name: INCREMENT, MINVALUE, MAXVALUE, START and RESTART [WITH].
func (x *exec) alterSequence(as *pg.AlterSeqStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "ALTER SEQUENCE"}, nil
	}
	o, err := readSeqOptions(as.Options)
	if err != nil {
		return nil, err
	}
	name := as.Sequence.Relname
	coll := x.s.db().collection(sequencesCollection)
	ctx := x.base
	if x.inBlock() {
		// Altered in the block's transaction, which then steps it too: ROLLBACK puts the options back.
		ctx = x.catWrite()
		x.noteBlockSequence(name)
	}
	doc, err := coll.findOne(ctx, bson.D{{Key: "_id", Value: name}})
	if isNoDocuments(err) {
		if as.MissingOk {
			x.warn(&Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE", Message: fmt.Sprintf("relation \"%s\" does not exist, skipping", name)})
			return &Result{Tag: "ALTER SEQUENCE"}, nil
		}
		return nil, errorf(CodeUndefinedTable, "relation \"%s\" does not exist", name)
	}
	if err != nil {
		return nil, err
	}
	cur := seqOf(doc)
	if o.hasInc {
		cur.inc = o.inc
	}
	switch {
	case o.hasMin:
		cur.min = o.min
	case o.noMin:
		cur.min, _ = defaultBounds(cur.inc)
	}
	switch {
	case o.hasMax:
		cur.max = o.max
	case o.noMax:
		_, cur.max = defaultBounds(cur.inc)
	}
	if o.hasStart {
		cur.start = o.start
	}
	if cur.min >= cur.max {
		return nil, errorf(CodeInvalidParameterValue, "MINVALUE (%d) must be less than MAXVALUE (%d)", cur.min, cur.max)
	}
	if err := inBounds("START", cur.start, cur.min, cur.max); err != nil {
		return nil, err
	}
	set := bson.D{{Key: "inc", Value: cur.inc}, {Key: "min", Value: cur.min}, {Key: "max", Value: cur.max}, {Key: "start", Value: cur.start}}
	if o.hasCycle {
		set = append(set, bson.E{Key: "cycle", Value: o.cycle})
	}
	if o.hasRestart {
		at := cur.start
		if o.hasRestartValue {
			at = o.restart
		}
		if err := inBounds("RESTART", at, cur.min, cur.max); err != nil {
			return nil, err
		}
		set = append(set, bson.E{Key: "last", Value: at}, bson.E{Key: "called", Value: false})
	}
	if _, err := coll.updateOne(ctx, bson.D{{Key: "_id", Value: name}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return nil, err
	}
	if owner := ownedBy(as.Options); owner != nil {
		if err := x.setOwnedBy(name, owner); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: "ALTER SEQUENCE"}, nil
}

// inBounds refuses a START or RESTART value outside a sequence's bounds, as PostgreSQL words it.
func inBounds(what string, v, min, max int64) error {
	switch {
	case v < min:
		return errorf(CodeInvalidParameterValue, "%s value (%d) cannot be less than MINVALUE (%d)", what, v, min)
	case v > max:
		return errorf(CodeInvalidParameterValue, "%s value (%d) cannot be greater than MAXVALUE (%d)", what, v, max)
	}
	return nil
}

// seqState is a sequence's stored state.
type seqState struct {
	last, inc, min, max, start int64
	called, full, cycle        bool
}

// seqOf reads a sequence's document (one a serial column made has last only).
func seqOf(doc bson.Raw) seqState {
	s := seqState{inc: 1, min: 1, max: math.MaxInt64, start: 1, called: true}
	if v, ok := doc.Lookup("called").BooleanOK(); ok {
		s.called = v
	}
	if v, ok := doc.Lookup("full").BooleanOK(); ok {
		s.full = v
	}
	if v, ok := doc.Lookup("cycle").BooleanOK(); ok {
		s.cycle = v
	}
	if v, ok := doc.Lookup("start").AsInt64OK(); ok {
		s.start = v
	}
	if v, ok := doc.Lookup("last").AsInt64OK(); ok {
		s.last = v
	}
	if v, ok := doc.Lookup("inc").AsInt64OK(); ok && v != 0 {
		s.inc = v
	}
	if v, ok := doc.Lookup("min").AsInt64OK(); ok {
		s.min = v
	}
	if v, ok := doc.Lookup("max").AsInt64OK(); ok {
		s.max = v
	}
	return s
}

// sequenceExists reports whether a sequence or a relation has the name.
func (x *exec) sequenceExists(name string) (bool, error) {
	if _, err := x.s.db().collection(sequencesCollection).findOne(x.catRead(), bson.D{{Key: "_id", Value: name}}); err == nil {
		return true, nil
	} else if !isNoDocuments(err) {
		return false, err
	}
	_, found, err := x.relationByName(name)
	return found, err
}

// nextStep is nextval's update: while called is false the value held is the next one, else last + inc when
// that stays within the bounds (compared without overflow); full says that it did not.
var nextStep = func() bson.A {
	op := func(name string, args ...any) bson.D { return bson.D{{Key: name, Value: bson.A(args)}} }
	ifNull := func(field string, def any) bson.D { return op("$ifNull", field, def) }
	// Ascending: full when last > max - inc; descending: when last < min - inc.
	full := op("$and", "$called_", op("$cond",
		op("$gt", "$inc_", 0),
		op("$gt", "$last", op("$subtract", ifNull("$max", int64(math.MaxInt64)), "$inc_")),
		op("$lt", "$last", op("$subtract", ifNull("$min", int64(1)), "$inc_"))))
	keep := op("$or", "$full", op("$not", "$called_"))
	// A CYCLE sequence at its end starts again at its minimum (ascending) or maximum (descending), and is not full.
	wrap := op("$and", "$full", ifNull("$cycle", false))
	restart := op("$cond", op("$gt", "$inc_", 0), ifNull("$min", int64(1)), ifNull("$max", int64(math.MaxInt64)))
	return bson.A{
		bson.D{{Key: "$set", Value: bson.D{{Key: "called_", Value: ifNull("$called", true)}, {Key: "inc_", Value: ifNull("$inc", int64(1))}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "full", Value: full}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "last", Value: op("$cond", wrap, restart, op("$cond", keep, "$last", op("$add", "$last", "$inc_")))},
			{Key: "called", Value: true}, {Key: "full", Value: op("$and", "$full", op("$not", wrap))}}}},
		bson.D{{Key: "$unset", Value: bson.A{"called_", "inc_"}}},
	}
}()

// dropSequences runs DROP SEQUENCE [IF EXISTS] names [CASCADE]. Every name is checked first; a sequence a
// column's default uses (serial, identity) is 2BP01, unless CASCADE drops the default with it, as in PostgreSQL; one
// a column owns but no longer uses (its default dropped, as pg_dump --clean does first) goes, and the column with it.
func (x *exec) dropSequences(names []string, missingOk, cascade bool) error {
	coll := x.s.db().collection(sequencesCollection)
	tables, _, err := x.declaredTables()
	if err != nil {
		return err
	}
	for _, name := range names {
		if _, err := coll.findOne(x.catRead(), bson.D{{Key: "_id", Value: name}}); isNoDocuments(err) {
			if !missingOk {
				return errorf(CodeUndefinedTable, "sequence \"%s\" does not exist", name)
			}
			continue
		} else if err != nil {
			return err
		}
		for _, t := range tables {
			for _, c := range t.Columns {
				if c.Sequence == name && c.Default != "" && !cascade { // owned and no longer used: it may go
					return &Error{Code: "2BP01", Message: fmt.Sprintf("cannot drop sequence %s because other objects depend on it", name),
						Detail: fmt.Sprintf("default value for column %s of table %s depends on sequence %s", c.Name, t.Name, name),
						Hint:   "Use DROP ... CASCADE to drop the dependent objects too."}
				}
			}
		}
	}
	for _, t := range tables {
		nt, changed := *t, false
		nt.Columns = append([]column(nil), t.Columns...)
		for i := range nt.Columns {
			if c := &nt.Columns[i]; c.Sequence != "" && slices.Contains(names, c.Sequence) {
				if c.Default != "" {
					x.warn(&Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE",
						Message: fmt.Sprintf("drop cascades to default value for column %s of table %s", c.Name, t.Name)})
				}
				c.Sequence, c.Default, c.Identity, changed = "", "", "", true
			}
		}
		if changed {
			if err := x.saveTable(&nt); err != nil {
				return err
			}
		}
	}
	for _, name := range names {
		n, err := coll.deleteMany(x.catWrite(), bson.D{{Key: "_id", Value: name}})
		x.noteBlockSequence(name) // nextval in the block then finds it gone
		if err != nil {
			return err
		}
		if n == 0 && !missingOk {
			return errorf(CodeUndefinedTable, "sequence \"%s\" does not exist", name)
		}
		if n == 0 {
			x.skipping("sequence", name)
		}
	}
	return nil
}

// sequenceRelation is a sequence read as a relation (SELECT last_value, is_called FROM seq), as PostgreSQL shows
// one: last_value, log_cnt (always 0 here: no values are cached) and is_called. ok is false when no sequence has
// the name.
func (x *exec) sequenceRelation(name string) (rel *relation, ok bool, err error) {
	doc, err := x.s.db().collection(sequencesCollection).findOne(x.seqCtx(name), bson.D{{Key: "_id", Value: name}})
	if isNoDocuments(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	s := seqOf(doc)
	rel = &relation{cols: []relCol{{qual: name, name: "last_value", oid: OIDInt8}, {qual: name, name: "log_cnt", oid: OIDInt8},
		{qual: name, name: "is_called", oid: OIDBool}}}
	if !x.describe {
		rel.rows = [][]any{{s.last, int64(0), s.called}}
	}
	return rel, true, nil
}

// identitySequence reads the options of ADD GENERATED ... AS IDENTITY (sequence options): the sequence's name,
// SEQUENCE NAME's (in public) or else PostgreSQL's <table>_<column>_seq, and its document.
func identitySequence(table, col string, opts []*pg.Node) (string, bson.D, error) {
	name := sequenceName(table, col)
	for _, n := range opts {
		if d := n.GetDefElem(); d != nil && d.Defname == "sequence_name" {
			items := d.Arg.GetList().GetItems()
			if len(items) == 0 || len(items) > 2 || len(items) == 2 && items[0].GetString_().GetSval() != "public" {
				return "", nil, unsupported("schemas other than public")
			}
			name = items[len(items)-1].GetString_().GetSval()
		}
	}
	o, err := readSeqOptions(opts)
	if err != nil {
		return "", nil, err
	}
	doc, err := seqDoc(name, o)
	return name, doc, err
}

// createColumnSequence makes the sequence a serial or identity column of t owns, with the identity's sequence
// options when the column definition gave some (GENERATED ... AS IDENTITY (START WITH 100 ...)).
func (x *exec) createColumnSequence(t *table, c column) error {
	if c.Sequence == "" {
		return nil
	}
	if c.seqOptions == nil {
		return x.createSequence(c.Sequence)
	}
	_, doc, err := identitySequence(t.Name, c.Name, c.seqOptions)
	if err != nil {
		return err
	}
	doc[0].Value = c.Sequence // the name the table took (a free variant of the default)
	if err := x.s.db().collection(sequencesCollection).insertOne(x.catWrite(), doc); err != nil {
		if isDuplicateKey(err) {
			return errorf(CodeDuplicateTable, "relation \"%s\" already exists", c.Sequence)
		}
		return err
	}
	x.noteBlockSequence(c.Sequence)
	return nil
}
