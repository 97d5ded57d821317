package sql

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// CREATE, ALTER and DROP SEQUENCE, as PostgreSQL's migrations and pg_dump write them. A sequence is a document of
// system.sql_sequences: last, the value nextval last gave (start - increment before the first), and inc, min and
// max when they are not 1, 1 and the largest bigint. nextval adds inc in one atomic update; a sequence does not
// cycle, and nextval past max (or below min, counting down) is 2200H.

// seqOptions are a sequence's options as CREATE or ALTER SEQUENCE give them.
type seqOptions struct {
	inc, min, max, start   int64
	hasStart, hasRestart   bool
	restart                int64
	hasInc, hasMin, hasMax bool
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
				o.restart, err = defInt(d)
			}
		case "minvalue":
			if d.Arg != nil {
				o.hasMin = true
				o.min, err = defInt(d)
			}
		case "maxvalue":
			if d.Arg != nil {
				o.hasMax = true
				o.max, err = defInt(d)
			}
		case "cycle":
			if on, _ := defElemBool(d); on {
				err = unsupported("CYCLE (Concord's sequences stop at their last value)")
			}
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
	min, max = 1, math.MaxInt64
	if o.inc < 0 {
		min, max = math.MinInt64, -1
	}
	if o.hasMin {
		min = o.min
	}
	if o.hasMax {
		max = o.max
	}
	return min, max
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
	if start < min || start > max {
		return nil, errorf(CodeInvalidParameterValue, "START value (%d) cannot be less than MINVALUE (%d) or greater than MAXVALUE (%d)", start, min, max)
	}
	if _, found, err := x.relationByName(name); err != nil {
		return nil, err
	} else if found {
		return nil, errorf(CodeDuplicateTable, "relation \"%s\" already exists", name)
	}
	doc := bson.D{{Key: "_id", Value: name}, {Key: "last", Value: start - o.inc}, {Key: "inc", Value: o.inc},
		{Key: "min", Value: min}, {Key: "max", Value: max}}
	err = x.s.db().collection(sequencesCollection).insertOne(x.base, doc)
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
	return &Result{Tag: "CREATE SEQUENCE"}, nil
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
	doc, err := coll.findOne(x.base, bson.D{{Key: "_id", Value: name}})
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
	set := bson.D{}
	if o.hasInc {
		cur.inc = o.inc
		set = append(set, bson.E{Key: "inc", Value: o.inc})
	}
	if o.hasMin {
		set = append(set, bson.E{Key: "min", Value: o.min})
	}
	if o.hasMax {
		set = append(set, bson.E{Key: "max", Value: o.max})
	}
	if o.hasRestart {
		at := o.restart
		if at == 0 && !o.hasStart {
			at = cur.min // RESTART without a value: the start, here the lower bound
		} else if at == 0 {
			at = o.start
		}
		set = append(set, bson.E{Key: "last", Value: at - cur.inc})
	}
	if len(set) > 0 {
		if _, err := coll.updateOne(x.base, bson.D{{Key: "_id", Value: name}}, bson.D{{Key: "$set", Value: set}}); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: "ALTER SEQUENCE"}, nil
}

// seqState is a sequence's stored state.
type seqState struct{ last, inc, min, max int64 }

// seqOf reads a sequence's document (one a serial column made has last only).
func seqOf(doc bson.Raw) seqState {
	s := seqState{inc: 1, min: 1, max: math.MaxInt64}
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

// dropSequences runs DROP SEQUENCE [IF EXISTS] names [CASCADE]. Every name is checked first; a sequence a
// column's default uses (serial, identity) is 2BP01, unless CASCADE drops the default with it, as in PostgreSQL.
func (x *exec) dropSequences(names []string, missingOk, cascade bool) error {
	coll := x.s.db().collection(sequencesCollection)
	tables, _, err := x.declaredTables()
	if err != nil {
		return err
	}
	for _, name := range names {
		if _, err := coll.findOne(x.base, bson.D{{Key: "_id", Value: name}}); isNoDocuments(err) {
			if !missingOk {
				return errorf(CodeUndefinedTable, "sequence \"%s\" does not exist", name)
			}
			continue
		} else if err != nil {
			return err
		}
		for _, t := range tables {
			for _, c := range t.Columns {
				if c.Sequence == name && !cascade {
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
				x.warn(&Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE",
					Message: fmt.Sprintf("drop cascades to default value for column %s of table %s", c.Name, t.Name)})
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
		n, err := coll.deleteMany(x.base, bson.D{{Key: "_id", Value: name}})
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
