package sql

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// tableSample reads FROM table TABLESAMPLE {BERNOULLI | SYSTEM} (percent) [REPEATABLE (seed)]: each row of the
// table is kept with the given probability. PostgreSQL's SYSTEM keeps or leaves whole pages; Concord has no pages
// and samples SYSTEM row by row as BERNOULLI does, which gives the same expected share. REPEATABLE's seed makes
// the sample the same for the same rows in the same order; without it each scan draws anew. As in PostgreSQL
// the clause applies to tables and materialized views only.
func (x *exec) tableSample(ts *pg.RangeTableSample, where *pg.Node, outer *scope) (*relation, error) {
	method := ""
	if len(ts.Method) > 0 {
		method = strings.ToLower(ts.Method[len(ts.Method)-1].GetString_().GetSval())
	}
	if method != "bernoulli" && method != "system" {
		return nil, &Error{Code: CodeUndefinedObject, Message: fmt.Sprintf("tablesample method %s does not exist", method), Position: int(ts.Location) + 1}
	}
	if len(ts.Args) != 1 {
		return nil, &Error{Code: "2202H", Message: fmt.Sprintf("tablesample method %s requires 1 argument, not %d", method, len(ts.Args)),
			Position: int(ts.Location) + 1}
	}
	rv := ts.Relation.GetRangeVar()
	if rv == nil {
		return nil, unsupported("TABLESAMPLE of this FROM item")
	}
	notTable := &Error{Code: CodeFeatureNotSupported, Message: "TABLESAMPLE clause can only be applied to tables and materialized views",
		Position: int(rv.Location) + 1}
	if rv.Schemaname == "" && x.cte(rv.Relname) != nil {
		return nil, notTable
	}
	if t, err := x.lookupTable(rv.Relname, rv.Location); err == nil && t.View != "" {
		return nil, notTable
	}
	pct, err := x.sampleParam(ts.Args[0], outer, "TABLESAMPLE parameter cannot be null", "2202H")
	if err != nil {
		return nil, err
	}
	if math.IsNaN(pct) || pct < 0 || pct > 100 {
		return nil, errorf("2202H", "sample percentage must be between 0 and 100")
	}
	var rng *rand.Rand
	if ts.Repeatable != nil {
		seed, err := x.sampleParam(ts.Repeatable, outer, "TABLESAMPLE REPEATABLE parameter cannot be null", "2202G")
		if err != nil {
			return nil, err
		}
		rng = rand.New(rand.NewPCG(math.Float64bits(seed), 0x5eed))
	} else {
		rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	rel, err := x.fromItem(ts.Relation, where, outer)
	if err != nil {
		return nil, err
	}
	kept := rel.rows[:0:0]
	for _, row := range rel.rows {
		if rng.Float64()*100 < pct {
			kept = append(kept, row)
		}
	}
	return &relation{cols: rel.cols, rows: kept}, nil
}

// sampleParam is a TABLESAMPLE argument as PostgreSQL's real: a number, NULL refused with code.
func (x *exec) sampleParam(n *pg.Node, outer *scope, ifNull, code string) (float64, error) {
	v, err := x.eval(n, outer)
	if err != nil {
		return 0, err
	}
	if v == nil {
		return 0, errorf(code, "%s", ifNull)
	}
	f, err := coerce(numeric(v), OIDFloat4)
	if err != nil {
		return 0, atLiteral(err, n)
	}
	r, _ := toFloat(f)
	return r, nil
}
