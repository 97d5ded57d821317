package sql

import (
	"fmt"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A view keeps its query as text, naming the relations it reads. As PostgreSQL's views depend on their relations,
// a relation a view reads cannot be dropped unless CASCADE drops the view too (2BP01 otherwise), and renaming it
// rewrites the views' queries to the new name.

// parseView parses a view's stored query.
func parseView(v *table) (*pg.ParseResult, error) {
	tree, err := pg.Parse(v.View)
	if err != nil || len(tree.Stmts) != 1 {
		return nil, errorf(CodeInternalError, "view \"%s\" has an unreadable query: %v", v.Name, err)
	}
	return tree, nil
}

// viewReads reports whether a view's query names the relation name in a FROM item. A WITH query of that name
// may be what it reads instead: such a view counts as reading the relation (a DROP is refused rather than a view
// broken), and shadows reports it, so that a rename leaves its query alone.
func viewReads(tree *pg.ParseResult, name string) (reads, shadowed bool) {
	m := tree.Stmts[0].Stmt.ProtoReflect()
	shadowed = walk(m, func(m protoreflect.Message) bool {
		c, ok := m.Interface().(*pg.CommonTableExpr)
		return ok && c.Ctename == name
	})
	reads = walk(m, func(m protoreflect.Message) bool {
		rv, ok := m.Interface().(*pg.RangeVar)
		return ok && rv.Relname == name && (rv.Schemaname == "" || rv.Schemaname == "public")
	})
	return reads, shadowed
}

// parsedView is a view and its parsed query.
type parsedView struct {
	*table
	tree *pg.ParseResult
}

// dependentViews returns the views whose queries read the relation name, in name order, with their queries
// parsed.
func (x *exec) dependentViews(name string) ([]parsedView, error) {
	names, err := x.viewNames()
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []parsedView
	for _, vn := range names {
		v, err := x.readTable(vn, 0)
		if err != nil || v.View == "" {
			continue
		}
		tree, err := parseView(v)
		if err != nil {
			return nil, err
		}
		if reads, _ := viewReads(tree, name); reads {
			out = append(out, parsedView{v, tree})
		}
	}
	return out, nil
}

// dropDependents checks the views reading the relations a DROP removes, and the views reading those: with
// cascade they are dropped too, with PostgreSQL's notice; without it any such view the statement does not drop
// itself stops it whole (2BP01, the detail listing every dependency). kind is the dropped relations' kind,
// "table" or "view".
func (x *exec) dropDependents(names []string, kind string, cascade bool) error {
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	var doomed, deps []string
	root := ""
	queue := slices.Clone(names)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		views, err := x.dependentViews(name)
		if err != nil {
			return err
		}
		what := kind
		if !slices.Contains(names, name) {
			what = "view"
		}
		for _, v := range views {
			if seen[v.Name] {
				continue
			}
			if root == "" {
				root = what + " " + name
			}
			seen[v.Name] = true
			doomed = append(doomed, v.Name)
			deps = append(deps, fmt.Sprintf("view %s depends on %s %s", v.Name, what, name))
			queue = append(queue, v.Name)
		}
	}
	if len(doomed) == 0 {
		return nil
	}
	if !cascade {
		return &Error{Code: "2BP01", Message: fmt.Sprintf("cannot drop %s because other objects depend on it", root),
			Detail: strings.Join(deps, "\n"), Hint: "Use DROP ... CASCADE to drop the dependent objects too."}
	}
	notice := &Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE", Message: "drop cascades to view " + doomed[0]}
	if len(doomed) > 1 {
		lines := make([]string, len(doomed))
		for i, v := range doomed {
			lines[i] = "drop cascades to view " + v
		}
		notice.Message = fmt.Sprintf("drop cascades to %d other objects", len(doomed))
		notice.Detail = strings.Join(lines, "\n")
	}
	x.warn(notice)
	for _, v := range doomed {
		if err := x.s.db().collection(tablesCollection).deleteOne(x.catWrite(), bson.D{{Key: "_id", Value: v}}); err != nil {
			return err
		}
	}
	return nil
}

// renameInViews rewrites the queries of the views reading old to read new: the relation in FROM, and the
// columns qualified by its name.
func (x *exec) renameInViews(old, new string) error {
	views, err := x.dependentViews(old)
	if err != nil {
		return err
	}
	for _, v := range views {
		tree := v.tree
		if _, shadowed := viewReads(tree, old); shadowed {
			continue // a WITH query of that name: which references mean the table is not followed here
		}
		walk(tree.Stmts[0].Stmt.ProtoReflect(), func(m protoreflect.Message) bool {
			switch n := m.Interface().(type) {
			case *pg.RangeVar:
				if n.Relname == old && (n.Schemaname == "" || n.Schemaname == "public") {
					n.Relname = new
				}
			case *pg.ColumnRef:
				if len(n.Fields) >= 2 {
					if s := n.Fields[0].GetString_(); s != nil && s.Sval == old {
						s.Sval = new
					}
				}
			}
			return false
		})
		if err := x.saveViewQuery(v.table, tree); err != nil {
			return err
		}
	}
	return nil
}

// saveViewQuery stores a view's rewritten query, as PostgreSQL's deparser writes it.
func (x *exec) saveViewQuery(v *table, tree *pg.ParseResult) error {
	probe, err := pg.Parse("SELECT") // the deparser checks the tree's parser version
	if err != nil {
		return err
	}
	text, err := pg.Deparse(&pg.ParseResult{Version: probe.Version, Stmts: tree.Stmts})
	if err != nil {
		return errorf(CodeInternalError, "cannot store the view's query: %v", err)
	}
	_, err = x.s.db().collection(tablesCollection).updateOne(x.catWrite(), bson.D{{Key: "_id", Value: v.Name}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "view", Value: strings.TrimSpace(text)}}}})
	return err
}

// viewColumnRefs finds, in a view's query, the references to column col of table t: columns qualified by t's
// name or alias, and unqualified ones when no other relation the view reads has a column of that name; star
// reports a * over t (the view's columns then came from t's at its creation, col among them), and maybe an
// unqualified reference (or a JOIN ... USING) of that name that another relation could mean too.
func (x *exec) viewColumnRefs(tree *pg.ParseResult, t *table, col string) (refs []*pg.String, star, maybe bool) {
	qualifiers := map[string]bool{}
	others := false // another relation read by the view has a column named col
	root := tree.Stmts[0].Stmt.ProtoReflect()
	walk(root, func(m protoreflect.Message) bool {
		if rv, ok := m.Interface().(*pg.RangeVar); ok {
			if rv.Relname == t.Name {
				q := t.Name
				if rv.Alias != nil {
					q = rv.Alias.Aliasname
				}
				qualifiers[q] = true
			} else if o, err := x.lookupTable(rv.Relname, 0); err != nil || !o.declared || o.column(col) != nil {
				others = true
			}
		}
		return false
	})
	walk(root, func(m protoreflect.Message) bool {
		if j, ok := m.Interface().(*pg.JoinExpr); ok {
			for _, u := range j.UsingClause {
				maybe = maybe || u.GetString_().GetSval() == col
			}
			return false
		}
		cr, ok := m.Interface().(*pg.ColumnRef)
		if !ok || len(cr.Fields) == 0 {
			return false
		}
		last := cr.Fields[len(cr.Fields)-1]
		switch {
		case len(cr.Fields) == 1 && last.GetAStar() != nil:
			star = star || !others
		case len(cr.Fields) == 1 && last.GetString_().GetSval() == col && !others:
			refs = append(refs, last.GetString_())
		case len(cr.Fields) == 1 && last.GetString_().GetSval() == col:
			maybe = true
		case len(cr.Fields) == 2 && qualifiers[cr.Fields[0].GetString_().GetSval()]:
			if last.GetAStar() != nil {
				star = true
			} else if last.GetString_().GetSval() == col {
				refs = append(refs, last.GetString_())
			}
		}
		return false
	})
	return refs, star, maybe
}

// renameColumnInViews rewrites the views reading column old of t to read it as new. A view's columns keep
// their names, as in PostgreSQL.
func (x *exec) renameColumnInViews(t *table, old, new string) error {
	views, err := x.dependentViews(t.Name)
	if err != nil {
		return err
	}
	for _, v := range views {
		tree := v.tree
		refs, _, _ := x.viewColumnRefs(tree, t, old)
		if len(refs) == 0 {
			continue
		}
		for _, r := range refs {
			r.Sval = new
		}
		if err := x.saveViewQuery(v.table, tree); err != nil {
			return err
		}
	}
	return nil
}

// columnDependents checks the views reading column col of t before it is dropped: without cascade they stop
// the statement (2BP01), as in PostgreSQL; with it they are returned, for dropViews once the statement's checks
// have passed.
func (x *exec) columnDependents(t *table, col string, cascade bool) ([]string, error) {
	views, err := x.dependentViews(t.Name)
	if err != nil {
		return nil, err
	}
	var users []string
	for _, v := range views {
		if refs, star, maybe := x.viewColumnRefs(v.tree, t, col); len(refs) > 0 || star || maybe {
			users = append(users, v.Name) // an ambiguous reference counts: a DROP refused rather than a view broken
		}
	}
	if len(users) == 0 {
		return nil, nil
	}
	if !cascade {
		lines := make([]string, len(users))
		for i, v := range users {
			lines[i] = fmt.Sprintf("view %s depends on column %s of table %s", v, col, t.Name)
		}
		return nil, &Error{Code: "2BP01", Message: fmt.Sprintf("cannot drop column %s of table %s because other objects depend on it", col, t.Name),
			Detail: strings.Join(lines, "\n"), Hint: "Use DROP ... CASCADE to drop the dependent objects too."}
	}
	return users, nil
}

// dropViews drops views a CASCADE took with a column, and the views reading them.
func (x *exec) dropViews(views []string) error {
	for _, v := range views {
		if err := x.dropDependents([]string{v}, "view", true); err != nil {
			return err
		}
		x.warn(&Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE", Message: "drop cascades to view " + v})
		if err := x.s.db().collection(tablesCollection).deleteOne(x.catWrite(), bson.D{{Key: "_id", Value: v}}); err != nil {
			return err
		}
	}
	return nil
}
