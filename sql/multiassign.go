package sql

import (
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// expandMultiAssign rewrites the multiple-column assignments of an UPDATE's or ON CONFLICT DO UPDATE's SET list,
// SET (a, b) = (1, 2) and SET (a, b) = (SELECT x, y ...), into one assignment a column: a = 1, b = 2, and
// a = (SELECT x ...), b = (SELECT y ...), each subquery a scalar one (no row gives NULLs, two or more 21000, as
// PostgreSQL's multiple-column subquery does). The rewrite is done in place and leaves a list without such
// assignments as it was, so a statement may go through it more than once.
func expandMultiAssign(targets []*pg.Node) error {
	for _, tg := range targets {
		rt := tg.GetResTarget()
		if rt == nil {
			continue
		}
		ma := rt.Val.GetMultiAssignRef()
		if ma == nil {
			continue
		}
		n, col := int(ma.Ncolumns), int(ma.Colno)-1
		mismatch := errorf(CodeSyntaxError, "number of columns does not match number of values")
		switch src := ma.Source; {
		case src.GetRowExpr() != nil:
			if len(src.GetRowExpr().Args) != n {
				return mismatch
			}
			rt.Val = src.GetRowExpr().Args[col]
		case src.GetSubLink() != nil:
			sl := src.GetSubLink()
			sel := sl.Subselect.GetSelectStmt()
			if sel == nil || sel.Op != pg.SetOperation_SETOP_NONE || len(sel.ValuesLists) > 0 {
				return unsupported("SET (columns) = a subquery other than a plain SELECT")
			}
			if len(sel.TargetList) != n {
				return mismatch
			}
			one := proto.Clone(sl).(*pg.SubLink)
			one.SubLinkType = pg.SubLinkType_EXPR_SUBLINK
			one.SubLinkId = 0
			oneSel := one.Subselect.GetSelectStmt()
			oneSel.TargetList = []*pg.Node{oneSel.TargetList[col]}
			rt.Val = &pg.Node{Node: &pg.Node_SubLink{SubLink: one}}
		default: // SET (a) = (1) too: PostgreSQL reads (1) as 1, not as a row
			return errorf(CodeFeatureNotSupported, "source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression")
		}
	}
	return nil
}
