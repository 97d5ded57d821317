package sql

// Triggers: CREATE TRIGGER ... {BEFORE | AFTER} {INSERT | UPDATE [OF cols] | DELETE} [OR ...] ON table [FOR EACH
// {ROW | STATEMENT}] [WHEN (condition)] EXECUTE FUNCTION f(args), with f a PL/pgSQL function returning trigger.
// A table's triggers are kept in its catalog entry. An INSERT, UPDATE or DELETE of SQL on a table with triggers
// runs in a transaction block (its own, outside one) and row by row: BEFORE row triggers see each row as NEW and
// OLD and may change NEW or skip the row (RETURN NULL); AFTER row triggers run once the statement's rows are
// written, as PostgreSQL runs them at the statement's end; statement triggers run before and after it. A
// constraint trigger (CREATE CONSTRAINT TRIGGER) is an AFTER row trigger whose calls a deferred one keeps for the
// block's COMMIT, with the deferred foreign keys' checks (deferred.go).

import (
	"context"
	"fmt"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// OIDTrigger is the pseudo-type a trigger function returns.
const OIDTrigger uint32 = 2279

// The events of a trigger, PostgreSQL's TRIGGER_TYPE bits.
const (
	trigInsert   = 4
	trigDelete   = 8
	trigUpdate   = 16
	trigTruncate = 32
)

// trigger is one CREATE TRIGGER of a table.
type trigger struct {
	Name   string   `bson:"name"`
	OID    uint32   `bson:"oid"`
	Func   string   `bson:"func"`
	Args   []string `bson:"args,omitempty"`
	Before bool     `bson:"before,omitempty"`
	// Instead marks an INSTEAD OF trigger of a view (viewtriggers.go).
	Instead bool     `bson:"instead,omitempty"`
	Row     bool     `bson:"row,omitempty"`
	Events  int      `bson:"events"`
	Columns []string `bson:"columns,omitempty"` // UPDATE OF
	When    string   `bson:"when,omitempty"`    // the WHEN condition, as PostgreSQL's deparser writes it
	// Disabled is set by ALTER TABLE ... DISABLE TRIGGER: the trigger does not fire (pg_trigger.tgenabled D).
	Disabled bool `bson:"disabled,omitempty"`
	// OldTable and NewTable are REFERENCING's transition table names ("" for none): an AFTER statement trigger's
	// body reads the statement's old and new rows under them.
	OldTable string `bson:"oldtable,omitempty"`
	NewTable string `bson:"newtable,omitempty"`
	// Constraint marks a constraint trigger (CREATE CONSTRAINT TRIGGER), an AFTER row trigger that a DEFERRABLE
	// one's INITIALLY DEFERRED or SET CONSTRAINTS holds until the block commits (deferred.go).
	Constraint   bool `bson:"constraint,omitempty"`
	Deferrable   bool `bson:"deferrable,omitempty"`
	InitDeferred bool `bson:"initdeferred,omitempty"`
}

// plTrigger is what a trigger function sees of its call: NEW, OLD and the TG_ variables.
type plTrigger struct {
	tg       *trigger
	table    string
	op       string
	new, old *plRecord
	// names and oids are the table's columns: the fields of NEW and OLD when they are NULL.
	names []string
	oids  []uint32
}

// newPLTrigger is a trigger's call on t for a row whose values are old and new (nil for none).
func newPLTrigger(t *table, tg *trigger, op string, old, new []any) *plTrigger {
	pt := &plTrigger{tg: tg, table: t.Name, op: op, new: triggerRecord(t, new), old: triggerRecord(t, old)}
	for _, c := range t.Columns {
		pt.names, pt.oids = append(pt.names, c.Name), append(pt.oids, c.Type)
	}
	return pt
}

// rowEvent is a row a statement wrote, for its AFTER row triggers: the event and the row's values before and
// after (nil for none).
type rowEvent struct {
	event    int
	old, new []any
}

// triggersOf are t's triggers of event at a timing and level, in name order, as PostgreSQL fires them. For an
// UPDATE, set names the columns it assigns: a trigger of UPDATE OF other columns is left out.
func (t *table) triggersOf(event int, before, row bool, set []string) []trigger {
	var out []trigger
	for _, tg := range t.Triggers {
		if tg.Events&event == 0 || tg.Before != before || tg.Row != row || tg.Disabled || tg.Instead {
			continue
		}
		if event == trigUpdate && len(tg.Columns) > 0 && !slices.ContainsFunc(tg.Columns, func(c string) bool { return slices.Contains(set, c) }) {
			continue
		}
		out = append(out, tg)
	}
	slices.SortFunc(out, func(a, b trigger) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// hasTriggers reports whether t has triggers of event.
func (t *table) hasTriggers(event int) bool {
	return slices.ContainsFunc(t.Triggers, func(tg trigger) bool { return tg.Events&event != 0 && !tg.Disabled })
}

// enableTriggers runs ALTER TABLE ... {ENABLE | DISABLE} TRIGGER {name | ALL | USER} on t (a copy the caller
// saves).
func (t *table) enableTriggers(cmd *pg.AlterTableCmd) error {
	disable := cmd.Subtype == pg.AlterTableType_AT_DisableTrig || cmd.Subtype == pg.AlterTableType_AT_DisableTrigAll ||
		cmd.Subtype == pg.AlterTableType_AT_DisableTrigUser
	all := cmd.Subtype == pg.AlterTableType_AT_EnableTrigAll || cmd.Subtype == pg.AlterTableType_AT_DisableTrigAll ||
		cmd.Subtype == pg.AlterTableType_AT_EnableTrigUser || cmd.Subtype == pg.AlterTableType_AT_DisableTrigUser
	t.Triggers = slices.Clone(t.Triggers)
	found := all
	for i := range t.Triggers {
		if all || t.Triggers[i].Name == cmd.Name {
			t.Triggers[i].Disabled, found = disable, true
		}
	}
	if !found {
		return errorf(CodeUndefinedObject, "trigger \"%s\" for table \"%s\" does not exist", cmd.Name, t.Name)
	}
	return nil
}

// createTrigger runs CREATE [OR REPLACE] TRIGGER.
func (x *exec) createTrigger(cs *pg.CreateTrigStmt) (*Result, error) {
	switch {
	case cs.Isconstraint && cs.Constrrel != nil:
		return nil, unsupported("CREATE CONSTRAINT TRIGGER ... FROM")
	case cs.Events&trigTruncate != 0 && cs.Row:
		return nil, errorf(CodeFeatureNotSupported, "TRUNCATE FOR EACH ROW triggers are not supported")
	}
	t, err := x.lookupTable(cs.Relation.Relname, cs.Relation.Location)
	if err != nil {
		return nil, err
	}
	instead := cs.Timing&64 != 0
	switch {
	case instead && t.View == "":
		return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is a table", t.Name),
			Detail: "Tables cannot have INSTEAD OF triggers."}
	case instead && !cs.Row:
		return nil, errorf(CodeFeatureNotSupported, "INSTEAD OF triggers must be FOR EACH ROW")
	case instead && cs.WhenClause != nil:
		return nil, errorf(CodeFeatureNotSupported, "INSTEAD OF triggers cannot have WHEN conditions")
	case instead && len(cs.Columns) > 0:
		return nil, errorf(CodeFeatureNotSupported, "INSTEAD OF triggers cannot have column lists")
	}
	switch {
	case t.MatView != "":
		return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("relation \"%s\" cannot have triggers", t.Name),
			Detail: "This operation is not supported for materialized views."}
	case t.View != "" && cs.Events&trigTruncate != 0:
		return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is a view", t.Name),
			Detail: "Views cannot have TRUNCATE triggers."}
	case t.View != "" && len(cs.TransitionRels) > 0:
		return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is a view", t.Name),
			Detail: "Triggers on views cannot have transition tables."}
	}
	if !instead && cs.Row && t.View != "" {
		return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is a view", t.Name),
			Detail: "Views cannot have row-level BEFORE or AFTER triggers."}
	}
	if !t.declared && t.View == "" {
		return nil, unsupported("triggers on a collection without declared columns")
	}
	tg := trigger{Name: cs.Trigname, Before: cs.Timing&2 != 0, Instead: instead, Row: cs.Row, Events: int(cs.Events),
		Constraint: cs.Isconstraint, Deferrable: cs.Deferrable, InitDeferred: cs.Initdeferred}
	if err := tg.transitionTables(cs); err != nil {
		return nil, err
	}
	tg.Func = cs.Funcname[len(cs.Funcname)-1].GetString_().GetSval()
	for _, a := range cs.Args {
		tg.Args = append(tg.Args, a.GetString_().GetSval())
	}
	for _, c := range cs.Columns {
		name := c.GetString_().GetSval()
		if t.column(name) == nil {
			return nil, errorf(CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", name, t.Name)
		}
		tg.Columns = append(tg.Columns, name)
	}
	if cs.WhenClause != nil {
		var refErr error
		walk(cs.WhenClause.ProtoReflect(), func(m protoreflect.Message) bool {
			cr, ok := m.Interface().(*pg.ColumnRef)
			if !ok || len(cr.Fields) < 2 {
				return false
			}
			at := int(cr.Location) + 1
			switch rec := cr.Fields[0].GetString_().GetSval(); {
			case !tg.Row && (rec == "new" || rec == "old"):
				refErr = &Error{Code: "42P17", Message: "statement trigger's WHEN condition cannot reference column values", Position: at}
			case rec == "new" && tg.Events&trigDelete != 0:
				refErr = &Error{Code: "42P17", Message: "DELETE trigger's WHEN condition cannot reference NEW values", Position: at}
			case rec == "old" && tg.Events&trigInsert != 0:
				refErr = &Error{Code: "42P17", Message: "INSERT trigger's WHEN condition cannot reference OLD values", Position: at}
			}
			return refErr != nil
		})
		if refErr != nil {
			return nil, refErr
		}
		sc := &scope{}
		for _, rec := range []string{"new", "old"} {
			for _, c := range t.Columns {
				sc.cols = append(sc.cols, relCol{qual: rec, name: c.Name, oid: c.Type})
			}
		}
		sc.row = make([]any, len(sc.cols))
		if typ := x.typeOf(cs.WhenClause, sc); typ != 0 && typ != OIDBool && typ != OIDUnknown && !isStringLiteral(cs.WhenClause) {
			e := errorf(CodeDatatypeMismatch, "argument of WHEN must be type boolean, not type %s", TypeName(typ))
			if at := leftmostLocation(cs.WhenClause); at >= 0 {
				e.Position = at + 1
			}
			return nil, e
		}
		text, err := deparseExpr(cs.WhenClause)
		if err != nil {
			return nil, err
		}
		tg.When = text
	}
	fn, err := x.triggerFunction(tg.Func)
	if err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, errorf(CodeUndefinedFunction, "function %s() does not exist", tg.Func)
	}
	if x.describe {
		return &Result{Tag: "CREATE TRIGGER"}, nil
	}
	nt, err := x.readTable(t.Name, 0)
	if err != nil {
		return nil, err
	}
	nt.Triggers = slices.Clone(nt.Triggers)
	if i := slices.IndexFunc(nt.Triggers, func(o trigger) bool { return o.Name == tg.Name }); i >= 0 {
		if !cs.Replace {
			return nil, errorf(CodeDuplicateObject, "trigger \"%s\" for relation \"%s\" already exists", tg.Name, t.Name)
		}
		tg.OID = nt.Triggers[i].OID
		nt.Triggers[i] = tg
	} else {
		tg.OID = enumOID(func(oid uint32) bool { return enumOf(oid) != nil || domainName(oid) != "" })
		nt.Triggers = append(nt.Triggers, tg)
	}
	if err := x.saveTable(nt); err != nil {
		return nil, err
	}
	return &Result{Tag: "CREATE TRIGGER"}, nil
}

// transitionTables reads CREATE TRIGGER's REFERENCING clause into tg, with PostgreSQL's errors for the triggers
// that may not have one.
func (tg *trigger) transitionTables(cs *pg.CreateTrigStmt) error {
	for _, n := range cs.TransitionRels {
		tt := n.GetTriggerTransition()
		switch {
		case tg.Before || tg.Instead:
			return errorf("42P17", "transition table name can only be specified for an AFTER trigger")
		case tg.Events&trigTruncate != 0:
			return errorf(CodeFeatureNotSupported, "TRUNCATE triggers with transition tables are not supported")
		case tg.Events != trigInsert && tg.Events != trigUpdate && tg.Events != trigDelete:
			return errorf(CodeFeatureNotSupported, "transition tables cannot be specified for triggers with more than one event")
		case len(cs.Columns) > 0:
			return errorf(CodeFeatureNotSupported, "transition tables cannot be specified for triggers with column lists")
		case tt.IsNew && tg.Events == trigDelete:
			return errorf("42P17", "NEW TABLE can only be specified for an INSERT or UPDATE trigger")
		case !tt.IsNew && tg.Events == trigInsert:
			return errorf("42P17", "OLD TABLE can only be specified for a DELETE or UPDATE trigger")
		case tt.IsNew && tg.NewTable != "" || !tt.IsNew && tg.OldTable != "":
			return errorf("42P17", "%s TABLE cannot be specified multiple times", map[bool]string{true: "NEW", false: "OLD"}[tt.IsNew])
		case tg.Row:
			return unsupported("transition tables of a FOR EACH ROW trigger (a statement trigger's work)")
		case tt.IsNew:
			tg.NewTable = tt.Name
		default:
			tg.OldTable = tt.Name
		}
	}
	if tg.OldTable != "" && tg.OldTable == tg.NewTable {
		return errorf("42P17", "OLD TABLE name and NEW TABLE name cannot be the same")
	}
	return nil
}

// wantsTransition reports whether t has an enabled trigger of event with transition tables: the statement keeps
// its rows for it (Session.transRows).
func (t *table) wantsTransition(event int) bool {
	for _, tg := range t.Triggers {
		if tg.Events&event != 0 && !tg.Disabled && (tg.OldTable != "" || tg.NewTable != "") {
			return true
		}
	}
	return false
}

// transitionKey is the key of a table's rows of event in Session.transRows, for a statement at depth (a
// trigger's own statements on the table keep theirs apart).
func transitionKey(t *table, event, depth int) string {
	return fmt.Sprintf("%d\x00%s\x00%d", depth, t.Name, event)
}

// transitionRelations are trigger tg's transition tables over the statement's rows: relations by name, in t's
// columns.
func transitionRelations(t *table, tg *trigger, rows []rowEvent) map[string]*relation {
	out := map[string]*relation{}
	for _, name := range []string{tg.OldTable, tg.NewTable} {
		if name == "" {
			continue
		}
		rel := &relation{}
		for _, c := range t.Columns {
			rel.cols = append(rel.cols, relCol{qual: name, name: c.Name, oid: c.Type, typmod: c.TypMod})
		}
		for _, ev := range rows {
			vals := ev.new
			if name == tg.OldTable {
				vals = ev.old
			}
			if vals != nil {
				rel.rows = append(rel.rows, slices.Clone(vals[:len(t.Columns)]))
			}
		}
		out[name] = rel
	}
	return out
}

// triggerFunction is the function a trigger calls, by name: one without parameters; nil for none. One that does
// not return trigger is 42P17.
func (x *exec) triggerFunction(name string) (*userFunc, error) {
	fns, err := x.userFunctions()
	if err != nil {
		return nil, err
	}
	for _, fn := range fns[name] {
		if len(fn.ArgTypes) == 0 {
			if fn.Returns != OIDTrigger {
				return nil, errorf("42P17", "function %s must return type trigger", name)
			}
			return fn, nil
		}
	}
	return nil, nil
}

// dropTriggers runs DROP TRIGGER [IF EXISTS] name ON table.
func (x *exec) dropTriggers(ds *pg.DropStmt) (*Result, error) {
	for _, o := range ds.Objects {
		items := o.GetList().GetItems()
		if len(items) < 2 {
			continue
		}
		table, name := items[len(items)-2].GetString_().GetSval(), items[len(items)-1].GetString_().GetSval()
		t, err := x.lookupTable(table, 0)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(t.Triggers, func(tg trigger) bool { return tg.Name == name }) {
			if ds.MissingOk {
				x.warn(&Error{Code: "00000", Severity: "NOTICE", Message: fmt.Sprintf("trigger \"%s\" for relation \"%s\" does not exist, skipping", name, table)})
				continue
			}
			return nil, errorf(CodeUndefinedObject, "trigger \"%s\" for table \"%s\" does not exist", name, table)
		}
		if x.describe {
			continue
		}
		nt, err := x.readTable(t.Name, 0)
		if err != nil {
			return nil, err
		}
		nt.Triggers = slices.DeleteFunc(slices.Clone(nt.Triggers), func(tg trigger) bool { return tg.Name == name })
		if err := x.saveTable(nt); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: "DROP TRIGGER"}, nil
}

// needsTriggerBlock is errNeedsBlock for a write to t that fires triggers of event outside a transaction block.
func (x *exec) needsTriggerBlock(t *table, event int) error {
	if x.describe || !t.hasTriggers(event) || x.s.txn != nil {
		return nil
	}
	return errNeedsBlock
}

// triggerRecord is a row of t as a trigger's NEW or OLD.
func triggerRecord(t *table, vals []any) *plRecord {
	if vals == nil {
		return nil
	}
	r := &plRecord{vals: slices.Clone(vals)}
	for _, c := range t.Columns {
		r.names, r.oids = append(r.names, c.Name), append(r.oids, c.Type)
	}
	return r
}

// docValues are a stored row's values, in t's column order.
func docValues(t *table, doc bson.Raw) []any {
	return rowOf(tableCols(t, t.Name), doc)[:len(t.Columns)]
}

// fireStatement runs t's statement triggers of event at a timing.
func (x *exec) fireStatement(t *table, event int, before bool, set []string) error {
	var rows []rowEvent
	if t.wantsTransition(event) {
		key := transitionKey(t, event, x.funcDepth)
		rows = x.s.transRows[key] // the statement's rows, kept by fireRow (none yet for BEFORE)
		delete(x.s.transRows, key)
	}
	for _, tg := range t.triggersOf(event, before, false, set) {
		if tg.When != "" {
			ok, err := x.triggerWhen(t, &tg, nil, nil)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		if tg.OldTable != "" || tg.NewTable != "" {
			x.transition = transitionRelations(t, &tg, rows)
		}
		_, err := x.callTrigger(t, &tg, event, nil, nil)
		x.transition = nil
		if err != nil {
			return err
		}
	}
	return nil
}

// fireRow runs t's row triggers of event at a timing for one row, old and new its values (nil for none). A
// BEFORE trigger's returned row becomes the row the next one sees and the one written; nil means a trigger
// skipped the row.
func (x *exec) fireRow(t *table, event int, before bool, set []string, old, new []any) ([]any, error) {
	if !before && t.wantsTransition(event) {
		// The row, for the transition tables of the statement triggers that fire when the statement ends.
		if x.s.transRows == nil {
			x.s.transRows = map[string][]rowEvent{}
		}
		key := transitionKey(t, event, x.funcDepth)
		x.s.transRows[key] = append(x.s.transRows[key], rowEvent{event: event, old: old, new: new})
	}
	for _, tg := range t.triggersOf(event, before, true, set) {
		if tg.When != "" {
			ok, err := x.triggerWhen(t, &tg, old, new)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		if !before && x.deferringTrigger(&tg) {
			tg := tg
			x.deferCheck(tg.Name, func(y *exec) error {
				_, err := y.callTrigger(t, &tg, event, old, new)
				return err
			})
			continue
		}
		rec, err := x.callTrigger(t, &tg, event, old, new)
		if err != nil {
			return nil, err
		}
		if !before {
			continue
		}
		if rec == nil {
			return nil, nil
		}
		next := make([]any, len(t.Columns))
		for i, c := range t.Columns {
			if j := slices.Index(rec.names, c.Name); j >= 0 {
				v := rec.vals[j]
				if v != nil {
					if v, err = coerce(v, c.Type); err != nil {
						return nil, err
					}
				}
				next[i] = v
			}
		}
		if event == trigDelete {
			next = old
		}
		new = next
	}
	if event == trigDelete {
		return old, nil
	}
	return new, nil
}

// callTrigger calls a trigger's function: the row it returns (nil for NULL).
func (x *exec) callTrigger(t *table, tg *trigger, event int, old, new []any) (*plRecord, error) {
	if x.s.txn == nil {
		return nil, errNeedsBlock
	}
	fn, err := x.triggerFunction(tg.Func)
	if err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, errorf(CodeUndefinedFunction, "function %s() does not exist", tg.Func)
	}
	if fn.Language != "plpgsql" {
		return nil, errorf(CodeFeatureNotSupported, "trigger function %s is not written in PL/pgSQL", fn.Name)
	}
	f, err := plParseCached(plSource(fn, fn.Body))
	if err != nil {
		return nil, err
	}
	op := map[int]string{trigInsert: "INSERT", trigUpdate: "UPDATE", trigDelete: "DELETE", trigTruncate: "TRUNCATE"}[event]
	atomic := x.atomic
	x.atomic = true // a trigger may not end the transaction
	p, flow, err := x.runPL(f, fn, nil, newPLTrigger(t, tg, op, old, new))
	x.atomic = atomic
	if err != nil {
		return nil, err
	}
	if flow != plReturn {
		return nil, &Error{Code: "2F005", Message: "control reached end of trigger procedure without RETURN",
			Where: "PL/pgSQL function " + fn.functionID()}
	}
	switch r := p.ret.(type) {
	case nil:
		return nil, nil
	case record:
		return &plRecord{names: r.names, oids: r.oids, vals: r.vals}, nil
	}
	return nil, errorf(CodeDatatypeMismatch, "returned row structure does not match the structure of the triggering table")
}

// triggerWhen evaluates a row trigger's WHEN condition over OLD and NEW.
func (x *exec) triggerWhen(t *table, tg *trigger, old, new []any) (bool, error) {
	f := &plFunc{found: -1, datums: []*plDatum{{kind: "rec", name: "new"}, {kind: "rec", name: "old"}}}
	p := &plRun{x: x, f: f, trig: newPLTrigger(t, tg, "", old, new)}
	if err := p.start(nil); err != nil {
		return false, err
	}
	return p.cond(&plExpr{query: tg.When, mode: 2})
}

// beforeInsert runs t's BEFORE INSERT row triggers for the proposed document raw: the document to insert, the
// row as they returned it, or nil when one skipped the row.
func (x *exec) beforeInsert(t *table, raw bson.Raw) (bson.Raw, error) {
	vals, err := x.fireRow(t, trigInsert, true, nil, nil, docValues(t, raw))
	if err != nil || vals == nil {
		return nil, err
	}
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	doc, err := x.document(t, names, vals)
	if err != nil {
		return nil, err
	}
	return bson.Marshal(doc)
}

// beforeUpdate runs t's BEFORE UPDATE row triggers for doc, about to be updated by set (an UPDATE of the columns
// cols): the $set that writes the row they return (with the key's columns when keys, rowSet), or nil when one
// skipped the row.
func (x *exec) beforeUpdate(t *table, doc bson.Raw, set bson.D, cols []string, keys bool) (bson.D, error) {
	vals, err := x.fireRow(t, trigUpdate, true, cols, docValues(t, doc), docValues(t, applySet(doc, set, "")))
	if err != nil || vals == nil {
		return nil, err
	}
	return x.rowSet(t, vals, keys)
}

// rowSet is the $set that writes a row's values (in t's column order) to its document; with keys, the primary
// key's columns too (for moveKey, which moves a row whose key changed), else without them.
func (x *exec) rowSet(t *table, vals []any, keys bool) (bson.D, error) {
	set := bson.D{}
	for i, c := range t.Columns {
		if c.NotNull && vals[i] == nil {
			return nil, notNull(t.Name, c.Name)
		}
		sv, err := toStored(vals[i], c.Type, c.TypMod)
		if err != nil {
			return nil, err
		}
		if c.Domain != "" {
			if err := x.checkDomainColumn(&t.Columns[i], sv); err != nil {
				return nil, err
			}
		}
		f := t.field(c.Name)
		if !keys && (f == "_id" || strings.HasPrefix(f, "_id.")) {
			continue
		}
		set = append(set, bson.E{Key: f, Value: sv})
	}
	return set, nil
}

// setNames are the columns an UPDATE's SET list assigns.
func setNames(targets []*pg.Node) []string {
	var out []string
	for _, tg := range targets {
		out = append(out, tg.GetResTarget().GetName())
	}
	return out
}

// triggerRows are pg_trigger's rows: the triggers of the database's tables, in the columns' order of the
// pg_trigger case of catalogRelation.
func (x *exec) triggerRows() ([][]any, error) {
	tables, oids, err := x.triggerTables()
	if err != nil {
		return nil, err
	}
	fns, err := x.userFunctions()
	if err != nil {
		return nil, err
	}
	var rows [][]any
	for _, t := range tables {
		for _, tg := range t.Triggers {
			var foid any
			for _, fn := range fns[tg.Func] {
				if len(fn.ArgTypes) == 0 {
					foid = int64(fn.OID)
				}
			}
			attrs := []any{}
			for _, c := range tg.Columns {
				if i := slices.IndexFunc(t.Columns, func(tc column) bool { return tc.Name == c }); i >= 0 {
					attrs = append(attrs, int64(i+1))
				}
			}
			var args []byte
			for _, a := range tg.Args {
				args = append(append(args, a...), 0)
			}
			var qual any
			if tg.When != "" {
				qual = tg.When
			}
			constraint := int64(0)
			if tg.Constraint {
				constraint = int64(tg.OID) // the constraint's own oid in PostgreSQL: nonzero marks a constraint trigger
			}
			rows = append(rows, []any{int64(tg.OID), oids[t.Name], int64(0), foid, int64(0), int64(0), constraint,
				tg.Name, int64(tg.tgtype()), map[bool]string{false: "O", true: "D"}[tg.Disabled], false, tg.Deferrable, tg.InitDeferred, int64(len(tg.Args)), attrs, args,
				qual, nameOrNull(tg.OldTable), nameOrNull(tg.NewTable)})
		}
	}
	return rows, nil
}

// tgtype is pg_trigger.tgtype: 1 for a row trigger, 2 for BEFORE, 64 for INSTEAD OF, and the events' bits.
func (tg *trigger) tgtype() int {
	n := tg.Events
	if tg.Row {
		n |= 1
	}
	if tg.Before {
		n |= 2
	}
	if tg.Instead {
		n |= 64
	}
	return n
}

// triggerTables are the relations triggers may be on, with their pg_class oids: the declared tables, and the
// views that have triggers.
func (x *exec) triggerTables() ([]*table, map[string]int64, error) {
	return x.relationsWhere(func(t *table, view bool) bool { return !view && t.declared || view && len(t.Triggers) > 0 })
}

// triggerDef is pg_get_triggerdef: the CREATE TRIGGER statement of the trigger with oid, its table qualified
// unless pretty.
func (x *exec) triggerDef(oidArg0 any, pretty bool) (any, error) {
	oid, ok := oidArg(oidArg0)
	if !ok {
		return nil, nil
	}
	tables, _, err := x.triggerTables()
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		for _, tg := range t.Triggers {
			if int64(tg.OID) != oid {
				continue
			}
			var b strings.Builder
			if tg.Constraint {
				b.WriteString("CREATE CONSTRAINT TRIGGER " + quoteIdent(tg.Name))
			} else {
				b.WriteString("CREATE TRIGGER " + quoteIdent(tg.Name))
			}
			if tg.Instead {
				b.WriteString(" INSTEAD OF")
			} else if tg.Before {
				b.WriteString(" BEFORE")
			} else {
				b.WriteString(" AFTER")
			}
			var events []string
			for _, e := range []struct {
				bit  int
				name string
			}{{trigInsert, "INSERT"}, {trigDelete, "DELETE"}, {trigUpdate, "UPDATE"}, {trigTruncate, "TRUNCATE"}} {
				if tg.Events&e.bit == 0 {
					continue
				}
				if e.bit == trigUpdate && len(tg.Columns) > 0 {
					cols := make([]string, len(tg.Columns))
					for i, c := range tg.Columns {
						cols[i] = quoteIdent(c)
					}
					events = append(events, "UPDATE OF "+strings.Join(cols, ", "))
					continue
				}
				events = append(events, e.name)
			}
			b.WriteString(" " + strings.Join(events, " OR ") + " ON ")
			if !pretty || !x.publicOnPath() {
				b.WriteString("public.")
			}
			b.WriteString(quoteIdent(t.Name))
			if tg.OldTable != "" || tg.NewTable != "" {
				b.WriteString(" REFERENCING")
				if tg.OldTable != "" {
					b.WriteString(" OLD TABLE AS " + quoteIdent(tg.OldTable))
				}
				if tg.NewTable != "" {
					b.WriteString(" NEW TABLE AS " + quoteIdent(tg.NewTable))
				}
			}
			if tg.Constraint {
				b.WriteString(map[bool]string{false: " NOT DEFERRABLE", true: " DEFERRABLE"}[tg.Deferrable])
				b.WriteString(map[bool]string{false: " INITIALLY IMMEDIATE", true: " INITIALLY DEFERRED"}[tg.InitDeferred])
			}
			if tg.Row {
				b.WriteString(" FOR EACH ROW")
			} else {
				b.WriteString(" FOR EACH STATEMENT")
			}
			if tg.When != "" {
				b.WriteString(" WHEN (" + whenText(tg.When) + ")")
			}
			args := make([]string, len(tg.Args))
			for i, a := range tg.Args {
				args[i] = quoteLiteral(a)
			}
			fn := quoteIdent(tg.Func)
			if !x.publicOnPath() {
				fn = "public." + fn // as pg_dump's script, with an empty search_path, must name it
			}
			b.WriteString(" EXECUTE FUNCTION " + fn + "(" + strings.Join(args, ", ") + ")")
			return b.String(), nil
		}
	}
	return nil, nil
}

// whenText is a WHEN condition as pg_get_triggerdef writes it inside WHEN (...): parenthesized, as PostgreSQL's
// deparser writes an operator's or a test's expression, unless it is a constant, a column or a call.
func whenText(when string) string {
	if n, err := parseExpr(when); err == nil && (n.GetAConst() != nil || n.GetColumnRef() != nil || n.GetFuncCall() != nil) {
		return when
	}
	return "(" + when + ")"
}

// dropFunctionTriggers answers DROP FUNCTION of a trigger function: 2BP01 while triggers call it, listing them
// as PostgreSQL does; with CASCADE, the triggers are dropped with it.
func (x *exec) dropFunctionTriggers(fn *userFunc, cascade bool) error {
	tables, _, err := x.triggerTables()
	if err != nil {
		return err
	}
	var deps []string
	for _, t := range tables {
		for _, tg := range t.Triggers {
			if tg.Func != fn.Name {
				continue
			}
			deps = append(deps, fmt.Sprintf("trigger %s on table %s depends on function %s", tg.Name, t.Name, fn.functionID()))
			if !cascade {
				continue
			}
			x.warn(&Error{Code: "00000", Severity: "NOTICE", Message: fmt.Sprintf("drop cascades to trigger %s on table %s", tg.Name, t.Name)})
			nt, err := x.readTable(t.Name, 0)
			if err != nil {
				return err
			}
			nt.Triggers = slices.DeleteFunc(slices.Clone(nt.Triggers), func(o trigger) bool { return o.Func == fn.Name })
			if err := x.saveTable(nt); err != nil {
				return err
			}
		}
	}
	if len(deps) > 0 && !cascade {
		return &Error{Code: CodeDependentObjectsStillExist, Message: fmt.Sprintf("cannot drop function %s because other objects depend on it", fn.functionID()),
			Detail: strings.Join(deps, "\n"), Hint: "Use DROP ... CASCADE to drop the dependent objects too."}
	}
	return nil
}

// cascadeWrite is one child row's part of a foreign key's action on a parent row's delete or update: the row
// with _id id deleted (update nil) or updated by update ($set and $unset), firing the child table's DELETE or
// UPDATE triggers as PostgreSQL's referential actions fire them (its statement triggers run around each action,
// by fireCascadeStatement).
func (x *exec) cascadeWrite(ctx context.Context, child *table, cc backendColl, id any, update bson.D, after *[]rowEvent) error {
	f := bson.D{{Key: "_id", Value: id}}
	event := trigDelete
	if update != nil {
		event = trigUpdate
	}
	if !child.hasTriggers(event) {
		if update == nil {
			if _, err := cc.findOneAndDelete(ctx, f); err != nil && !isNoDocuments(err) {
				return err
			}
			return nil
		}
		_, err := cc.updateOne(ctx, f, update)
		return err
	}
	old, err := cc.findOne(ctx, f)
	if isNoDocuments(err) || err == nil && old == nil {
		return nil
	}
	if err != nil {
		return err
	}
	oldVals := docValues(child, old)
	if update == nil {
		vals, err := x.fireRow(child, trigDelete, true, nil, oldVals, nil)
		if err != nil || vals == nil {
			return err
		}
		if _, err := cc.findOneAndDelete(ctx, f); err != nil {
			if isNoDocuments(err) {
				return nil
			}
			return err
		}
		*after = append(*after, rowEvent{event: trigDelete, old: oldVals})
		return nil
	}
	// The action's $set and $unset as one $set (an unset column is NULL), and the columns it assigns.
	var assigned bson.D
	var cols []string
	for _, op := range update {
		fields, _ := op.Value.(bson.D)
		for _, e := range fields {
			v := e.Value
			if op.Key == "$unset" {
				v = nil
			}
			assigned = append(assigned, bson.E{Key: e.Key, Value: v})
			for _, c := range child.Columns {
				if child.field(c.Name) == e.Key {
					cols = append(cols, c.Name)
				}
			}
		}
	}
	rs, err := x.beforeUpdate(child, old, assigned, cols, false)
	if err != nil || rs == nil {
		return err
	}
	written, err := cc.findOneAndUpdate(ctx, f, bson.D{{Key: "$set", Value: rs}})
	if isNoDocuments(err) {
		return nil
	}
	if err != nil {
		return err
	}
	*after = append(*after, rowEvent{event: trigUpdate, old: oldVals, new: docValues(child, written)})
	return nil
}

// fireCascadeAfter runs the AFTER row triggers of the rows a referential action wrote, once it has written
// them all, as PostgreSQL runs them at its statement's end.
func (x *exec) fireCascadeAfter(child *table, after []rowEvent) error {
	for _, ev := range after {
		if _, err := x.fireRow(child, ev.event, false, nil, ev.old, ev.new); err != nil {
			return err
		}
	}
	return nil
}

// fireCascadeStatement runs a child table's statement triggers of event around a referential action's writes.
func (x *exec) fireCascadeStatement(child *table, event int, before bool) error {
	if child.hasTriggers(event) {
		return x.fireStatement(child, event, before, nil)
	}
	return nil
}

// deleteRow deletes the row f finds, after t's BEFORE DELETE row triggers when fires: the row deleted, nil when
// none was there or a trigger kept it.
func (x *exec) deleteRow(t *table, coll backendColl, f bson.D, fires bool) (bson.Raw, error) {
	if fires {
		old, err := coll.findOne(x.ctx, f)
		if isNoDocuments(err) || err == nil && old == nil {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		vals, err := x.fireRow(t, trigDelete, true, nil, docValues(t, old), nil)
		if err != nil || vals == nil {
			return nil, err // nil: a BEFORE trigger kept the row
		}
	}
	before, err := coll.findOneAndDelete(x.ctx, f)
	if isNoDocuments(err) {
		return nil, nil
	}
	return before, err
}

// fireDeleted runs t's AFTER DELETE row triggers for the rows a statement deleted, then its AFTER DELETE
// statement triggers.
func (x *exec) fireDeleted(t *table, docs []bson.Raw) error {
	for _, d := range docs {
		if _, err := x.fireRow(t, trigDelete, false, nil, docValues(t, d), nil); err != nil {
			return err
		}
	}
	return x.fireStatement(t, trigDelete, false, nil)
}

// nameOrNull is a name, or NULL for "".
func nameOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}
