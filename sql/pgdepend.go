package sql

import (
	"maps"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// pg_depend and pg_description as pg_dump reads them: which object needs which (pg_dump orders its script by
// them), and the comments on tables, views and columns.

// attrdefOIDBase is the first oid of pg_attrdef's rows.
const attrdefOIDBase = 20000

// pgDepend is one row of pg_depend: object (classid, objid, objsubid) depends on (refclassid, refobjid,
// refobjsubid); deptype 'a' auto (a serial column's sequence), 'i' internal (an identity column's), 'n' normal.
type pgDepend struct {
	classid, objid, objsubid          int64
	refclassid, refobjid, refobjsubid int64
	deptype                           string
}

// pgDepends lists the dependencies pg_dump needs: a sequence on the column that owns it, a default on the
// sequence it calls nextval on, and a view on each relation it reads (PostgreSQL's is its rewrite rule's; pg_dump
// follows either to the view).
func (x *exec) pgDepends() ([]pgDepend, error) {
	classOID := catalogOIDs["pg_class"]
	seqs, err := x.pgSequences()
	if err != nil {
		return nil, err
	}
	seqOID := map[string]int64{}
	var out []pgDepend
	for _, s := range seqs {
		seqOID[s.name] = s.oid
		if s.ownerOID != 0 {
			kind := "a"
			if s.identity {
				kind = "i"
			}
			out = append(out, pgDepend{classOID, s.oid, 0, classOID, s.ownerOID, s.ownerCol, kind})
		}
	}
	err = x.eachAttrdef(func(oid, _ int64, _ int, c column) {
		if s, ok := seqOID[defaultSequence(c)]; ok {
			out = append(out, pgDepend{catalogOIDs["pg_attrdef"], oid, 0, classOID, s, 0, "n"})
		}
	})
	if err != nil {
		return nil, err
	}
	names, isView, err := x.relationNames()
	if err != nil {
		return nil, err
	}
	for i, v := range names {
		if !isView[v] {
			continue
		}
		t, err := x.lookupTable(v, 0)
		if err != nil {
			return nil, err
		}
		tree, err := parseView(t)
		if err != nil {
			continue
		}
		for j, n := range names {
			if reads, _ := viewReads(tree, n); reads && n != v {
				out = append(out, pgDepend{classOID, tableOID(i), 0, classOID, tableOID(j), 0, "n"})
			}
		}
	}
	// A function of a table's row type depends on the table: pg_dump makes the table first.
	fns, err := x.userFunctions()
	if err != nil {
		return nil, err
	}
	procOID := catalogOIDs["pg_proc"]
	for _, name := range slices.Sorted(maps.Keys(fns)) {
		for _, fn := range fns[name] {
			for _, tn := range append([]string{fn.RetTable}, fn.ArgTables...) {
				if j := slices.Index(names, tn); tn != "" && j >= 0 {
					out = append(out, pgDepend{procOID, int64(fn.OID), 0, classOID, tableOID(j), 0, "n"})
				}
			}
		}
	}
	// A domain depends on the user type under it (an enum or a domain): pg_dump makes that one first.
	enums, domains, err := x.userTypes()
	if err != nil {
		return nil, err
	}
	typeOID := catalogOIDs["pg_type"]
	for _, name := range slices.Sorted(maps.Keys(domains)) {
		d := domains[name]
		under := int64(0)
		if p := domains[d.Parent]; p != nil {
			under = int64(p.OID)
		} else if e := enumOf(d.Base); e != nil && enums[e.Name] != nil {
			under = int64(e.OID)
		}
		if under != 0 {
			out = append(out, pgDepend{typeOID, int64(d.OID), 0, typeOID, under, 0, "n"})
		}
	}
	return out, nil
}

// eachAttrdef calls fn for each row of pg_attrdef, in its order: the column defaults of the declared tables
// (an identity column's sequence is no default), with the default's oid, its table's oid and the column's
// position (from 0).
func (x *exec) eachAttrdef(fn func(oid, table int64, col int, c column)) error {
	tables, oids, err := x.declaredTables()
	if err != nil {
		return err
	}
	n := int64(0)
	for _, t := range tables {
		for j, c := range t.Columns {
			if c.defaultExpr() != "" {
				fn(attrdefOIDBase+n, oids[t.Name], j, c)
				n++
			}
		}
	}
	return nil
}

// dependCatalog fills pg_depend and pg_description; ok is false for any other relation.
func (x *exec) dependCatalog(name string, rel *relation, col func(string, uint32)) (bool, error) {
	switch name {
	case "pg_depend":
		for _, c := range []string{"classid", "objid"} {
			col(c, OIDOID)
		}
		col("objsubid", OIDInt4)
		for _, c := range []string{"refclassid", "refobjid"} {
			col(c, OIDOID)
		}
		col("refobjsubid", OIDInt4)
		col("deptype", OIDChar)
		deps, err := x.pgDepends()
		if err != nil {
			return true, err
		}
		for _, d := range deps {
			rel.rows = append(rel.rows, []any{d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid, d.deptype})
		}
	case "pg_description":
		col("objoid", OIDOID)
		col("classoid", OIDOID)
		col("objsubid", OIDInt4)
		col("description", OIDText)
		// The public schema's comment, which pg_dump compares with PostgreSQL's.
		rel.rows = append(rel.rows, []any{int64(2200), catalogOIDs["pg_namespace"], int64(0), "standard public schema"})
		names, _, err := x.relationNames()
		if err != nil {
			return true, err
		}
		for i, n := range names {
			t, err := x.lookupTable(n, 0)
			if err != nil || !t.declared {
				continue
			}
			if t.Comment != "" {
				rel.rows = append(rel.rows, []any{tableOID(i), catalogOIDs["pg_class"], int64(0), t.Comment})
			}
			for j, c := range t.Columns {
				if c.Comment != "" {
					rel.rows = append(rel.rows, []any{tableOID(i), catalogOIDs["pg_class"], int64(j + 1), c.Comment})
				}
			}
		}
		indexes, err := x.pgIndexes()
		if err != nil {
			return true, err
		}
		for _, ix := range indexes {
			if c := ix.t.IndexComments[ix.name]; c != "" {
				rel.rows = append(rel.rows, []any{ix.oid, catalogOIDs["pg_class"], int64(0), c})
			}
		}
	default:
		return false, nil
	}
	return true, nil
}

// qualifiedView is a view's query with the relations it reads written public.name, as pg_get_viewdef writes
// them when public is not on the search path; a WITH query's name stays as it is.
func qualifiedView(query string) string {
	tree, err := pg.Parse(query)
	if err != nil || len(tree.Stmts) != 1 {
		return query
	}
	ctes := map[string]bool{}
	walk(tree.Stmts[0].Stmt.ProtoReflect(), func(m protoreflect.Message) bool {
		if c, ok := m.Interface().(*pg.CommonTableExpr); ok {
			ctes[c.Ctename] = true
		}
		return false
	})
	walk(tree.Stmts[0].Stmt.ProtoReflect(), func(m protoreflect.Message) bool {
		switch v := m.Interface().(type) {
		case *pg.RangeVar:
			if v.Schemaname == "" && !ctes[v.Relname] && !isCatalogName(v.Relname) {
				v.Schemaname = "public"
			}
		case *pg.FuncCall:
			// A sequence named by a string (nextval('s')) is read on the search path too: public.s.
			if name := funcName(v); (name == "nextval" || name == "currval" || name == "setval") && len(v.Args) > 0 {
				if c := v.Args[0].GetAConst(); c != nil && c.GetSval() != nil && !strings.Contains(c.GetSval().Sval, ".") {
					c.GetSval().Sval = "public." + c.GetSval().Sval
				}
			}
		}
		return false
	})
	text, err := pg.Deparse(tree)
	if err != nil {
		return query
	}
	return text
}
