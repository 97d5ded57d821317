package sql

import (
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Column defaults, filled by the storage. An SQL INSERT evaluates the defaults of the columns it leaves out
// (write.go), but a document inserted over the MongoDB port or the embedded Go API would leave them absent, which
// is NULL: a `version int NOT NULL DEFAULT 0` column would refuse the document, a nullable one would read NULL
// where an SQL INSERT gives 0. So each default the storage can evaluate without SQL is also given to the table's
// collection as a default of its field (the engine's CollOptions.Defaults), which every insert that lacks the
// field gets, whatever its path:
//
//   - a constant (literals, casts, arithmetic, arrays: no function, column, parameter or subquery), evaluated by SQL
//     once and kept as the value an SQL INSERT stores; a date or timestamp constant is not, since SQL reads its text
//     in the inserting session's time zone;
//   - the current time of a timestamptz or timestamp column (now(), CURRENT_TIMESTAMP, transaction_timestamp(),
//     statement_timestamp(), clock_timestamp(), and LOCALTIMESTAMP for a timestamp column) and CURRENT_DATE for a
//     date column: the storage's time of the write, in UTC, to the millisecond.
//
// Other defaults (nextval of a sequence, gen_random_uuid(), a time with a precision) stay SQL's alone. SQL's own
// inserts skip the storage's defaults (concord.WithoutDefaults): they evaluate every default themselves and store
// a NULL as an absent field, which a storage default must not fill.

// nowFuncs are the functions whose value as a default is the time of the insert.
var nowFuncs = map[string]bool{"now": true, "transaction_timestamp": true, "statement_timestamp": true, "clock_timestamp": true}

// storageDefaults are the defaults the storage keeps for t: those of its columns (but the key's, generated and
// identity columns) that storageDefault gives.
func (x *exec) storageDefaults(t *table) []computedSpec {
	if !x.s.e.b.computedFields() {
		return nil
	}
	var out []computedSpec
	for i := range t.Columns {
		c := &t.Columns[i]
		f := t.field(c.Name)
		if c.Default == "" || c.Generated != "" || c.Identity != "" || slices.Contains(t.Key, c.Name) || strings.ContainsAny(f, ".$") {
			continue
		}
		e, ok := x.storageDefault(c)
		if !ok {
			continue
		}
		raw, err := bson.Marshal(bson.D{{Key: "e", Value: e}})
		if err != nil {
			continue
		}
		out = append(out, computedSpec{Field: f, Expr: bson.Raw(raw).Lookup("e").Document()})
	}
	return out
}

// storageDefault is the storage's expression of c's default, if it has one (see above).
func (x *exec) storageDefault(c *column) (bson.D, bool) {
	n, err := x.keptExpr(c.Default)
	if err != nil {
		return nil, false
	}
	if e, ok := nowDefault(n, c.Type); ok {
		return e, true
	}
	switch c.Type {
	case OIDDate, OIDTimestamp, OIDTimestamptz:
		return nil, false
	}
	if !constantDefault(n) {
		return nil, false
	}
	v, err := x.columnDefault(c)
	if err != nil || v == nil {
		return nil, false
	}
	sv, err := toStored(v, c.Type, c.TypMod)
	if err != nil || sv == nil {
		return nil, false
	}
	return bson.D{{Key: "$literal", Value: sv}}, true
}

// nowDefault is the storage's expression of n, a default of a column of type oid, when n is the time of the insert
// in that type: $$NOW, or its day for a date.
func nowDefault(n *pg.Node, oid uint32) (bson.D, bool) {
	if tc := n.GetTypeCast(); tc != nil {
		if to, err := typeFromName(tc.TypeName); err == nil && to == oid && len(tc.TypeName.Typmods) == 0 {
			n = tc.Arg
		}
	}
	now := false
	if f := n.GetFuncCall(); f != nil && len(f.Args) == 0 && !f.AggStar && f.Over == nil {
		now = nowFuncs[funcName(f)] && (oid == OIDTimestamptz || oid == OIDTimestamp)
	}
	if v := n.GetSqlvalueFunction(); v != nil {
		switch v.Op {
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP:
			now = oid == OIDTimestamptz || oid == OIDTimestamp
		case pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP:
			now = oid == OIDTimestamp
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
			if oid == OIDDate {
				return bson.D{{Key: "$dateTrunc", Value: bson.D{{Key: "date", Value: "$$NOW"}, {Key: "unit", Value: "day"}}}}, true
			}
		}
	}
	if !now {
		return nil, false
	}
	return bson.D{{Key: "$toDate", Value: "$$NOW"}}, true
}

// constantDefault reports whether n is made of constants only: literals, casts, operators, arrays and boolean
// connectives, with no function, column, parameter or subquery.
func constantDefault(n *pg.Node) bool {
	switch {
	case n == nil:
		return true
	case n.GetAConst() != nil:
		return true
	case n.GetTypeCast() != nil:
		return constantDefault(n.GetTypeCast().Arg)
	case n.GetAExpr() != nil:
		a := n.GetAExpr()
		return a.Kind == pg.A_Expr_Kind_AEXPR_OP && constantDefault(a.Lexpr) && constantDefault(a.Rexpr)
	case n.GetAArrayExpr() != nil:
		return !slices.ContainsFunc(n.GetAArrayExpr().Elements, func(e *pg.Node) bool { return !constantDefault(e) })
	case n.GetBoolExpr() != nil:
		return !slices.ContainsFunc(n.GetBoolExpr().Args, func(e *pg.Node) bool { return !constantDefault(e) })
	}
	return false
}
