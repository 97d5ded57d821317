package sql

import (
	"slices"
	"strings"
)

// tableConstraint is one constraint of a table as information_schema lists it: PRIMARY KEY (named
// <table>_pkey, as PostgreSQL names it), UNIQUE (the unique indexes Concord made for UNIQUE constraints,
// <table>_<cols>_key), CHECK and FOREIGN KEY.
type tableConstraint struct {
	name, table, kind string
	columns           []string
	check             string      // CHECK: the expression
	fk                *foreignKey // FOREIGN KEY
	deferrable        bool        // a DEFERRABLE constraint trigger (listed for SET CONSTRAINTS only)
}

// tableConstraints lists the constraints of the database's declared tables.
func (x *exec) tableConstraints() ([]tableConstraint, error) {
	tables, _, err := x.declaredTables()
	if err != nil {
		return nil, err
	}
	var out []tableConstraint
	for _, t := range tables {
		tn := t.Name
		if len(t.Key) > 0 {
			out = append(out, tableConstraint{name: t.pkeyName(), table: tn, kind: "PRIMARY KEY", columns: t.Key})
		}
		specs, err := x.s.db().collection(tn).indexes(x.base)
		if err != nil {
			return nil, err
		}
		for _, s := range specs {
			if cols, ok := uniqueConstraint(t, s); ok {
				out = append(out, tableConstraint{name: t.indexName(s.name), table: tn, kind: "UNIQUE", columns: cols})
			}
			for _, a := range t.aliasNames() {
				if t.Aliases[a].Index != s.name {
					continue
				}
				if cols, ok := aliasConstraint(t, a, s); ok {
					out = append(out, tableConstraint{name: a, table: tn, kind: "UNIQUE", columns: cols})
				}
			}
		}
		for _, c := range t.Checks {
			out = append(out, tableConstraint{name: c.Name, table: tn, kind: "CHECK", check: "((" + c.Expr + "))", columns: checkColumns(t, c)})
		}
		for i := range t.ForeignKeys {
			fk := &t.ForeignKeys[i]
			out = append(out, tableConstraint{name: fk.Name, table: tn, kind: "FOREIGN KEY", columns: fk.Columns, fk: fk})
		}
	}
	return out, nil
}

// uniqueConstraint reports whether index s of t is a UNIQUE constraint's, with its columns: named by default
// (uniqueColumns) or given its name (table.Uniques).
func uniqueConstraint(t *table, s indexSpec) ([]string, bool) {
	if !s.unique {
		return nil, false
	}
	if slices.Contains(t.Uniques, s.name) {
		cols, _ := indexColumns(t, s.keys)
		return cols, true
	}
	return uniqueColumns(t, s.name)
}

// aliasConstraint reports whether alias a of t, served by index s, is a UNIQUE constraint's name
// (ALTER TABLE ... ADD CONSTRAINT ... UNIQUE over a unique index on the same columns), with its columns.
func aliasConstraint(t *table, a string, s indexSpec) ([]string, bool) {
	if !t.Aliases[a].Unique {
		return nil, false
	}
	if slices.Contains(t.Uniques, a) {
		cols, _ := indexColumns(t, s.keys)
		return cols, true
	}
	return uniqueColumns(t, a)
}

// uniqueColumns reads the columns of a unique index SQL made for a UNIQUE constraint, named
// <table>_<col>[_<col>...]_key; ok is false for any other index.
func uniqueColumns(t *table, index string) ([]string, bool) {
	rest, found := strings.CutPrefix(index, t.Name+"_")
	if !found {
		return nil, false
	}
	rest, found = strings.CutSuffix(rest, "_key")
	if !found || rest == "" {
		return nil, false
	}
	// Column names may hold underscores: match the longest column name at each step.
	var cols []string
	for rest != "" {
		best := ""
		for _, c := range t.Columns {
			if (rest == c.Name || strings.HasPrefix(rest, c.Name+"_")) && len(c.Name) > len(best) {
				best = c.Name
			}
		}
		if best == "" {
			return nil, false
		}
		cols = append(cols, best)
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, best), "_")
	}
	return cols, true
}

// referencedKey is the columns, in their index's order, of the key of parent fk references: its primary key, or
// its unique index RefIndex (nil when that is gone).
func (x *exec) referencedKey(parent *table, fk foreignKey) []string {
	if fk.RefIndex == "" {
		return parent.Key
	}
	specs, err := x.s.db().collection(parent.Name).indexes(x.base)
	if err != nil {
		return nil
	}
	for _, s := range specs {
		if s.name == fk.RefIndex {
			cols, _ := indexColumns(parent, s.keys)
			return cols
		}
	}
	return nil
}

// informationSchemaConstraints fills information_schema's table_constraints, key_column_usage,
// referential_constraints and check_constraints, which ORMs read to learn a schema.
func (x *exec) informationSchemaConstraints(name string, rel *relation, col func(string, uint32)) (bool, error) {
	switch name {
	case "table_constraints", "key_column_usage", "referential_constraints", "check_constraints", "constraint_column_usage":
	default:
		return false, nil
	}
	cons, err := x.tableConstraints()
	if err != nil {
		return true, err
	}
	db := x.s.database
	for _, c := range []string{"constraint_catalog", "constraint_schema", "constraint_name"} {
		col(c, OIDText)
	}
	switch name {
	case "table_constraints":
		for _, c := range []string{"table_catalog", "table_schema", "table_name", "constraint_type", "is_deferrable", "initially_deferred", "enforced"} {
			col(c, OIDText)
		}
		yesNo := map[bool]string{true: "YES", false: "NO"}
		for _, c := range cons {
			deferrable, deferred := c.fk != nil && c.fk.Deferrable, c.fk != nil && c.fk.Deferred
			rel.rows = append(rel.rows, []any{db, "public", c.name, db, "public", c.table, c.kind, yesNo[deferrable], yesNo[deferred], "YES"})
		}
	case "key_column_usage":
		for _, c := range []string{"table_catalog", "table_schema", "table_name", "column_name"} {
			col(c, OIDText)
		}
		col("ordinal_position", OIDInt4)
		col("position_in_unique_constraint", OIDInt4)
		for _, c := range cons {
			if c.kind == "CHECK" {
				continue
			}
			for i, cn := range c.columns {
				var pos any
				if c.fk != nil {
					if p, err := x.lookupTable(c.fk.Table, 0); err == nil {
						pos = int64(slices.Index(x.referencedKey(p, *c.fk), c.fk.RefColumns[i]) + 1)
					}
				}
				rel.rows = append(rel.rows, []any{db, "public", c.name, db, "public", c.table, cn, int64(i + 1), pos})
			}
		}
	case "referential_constraints":
		for _, c := range []string{"unique_constraint_catalog", "unique_constraint_schema", "unique_constraint_name", "match_option", "update_rule", "delete_rule"} {
			col(c, OIDText)
		}
		rules := map[string]string{"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
		for _, c := range cons {
			if c.fk != nil {
				unique := c.fk.Table + "_pkey"
				if p, err := x.lookupTable(c.fk.Table, 0); err == nil {
					unique = p.pkeyName()
					if c.fk.RefIndex != "" {
						unique = p.indexName(c.fk.RefIndex)
					}
				}
				onUpdate := c.fk.OnUpdate
				if onUpdate == "" {
					onUpdate = "a"
				}
				match := "NONE"
				if c.fk.MatchFull {
					match = "FULL"
				}
				rel.rows = append(rel.rows, []any{db, "public", c.name, db, "public", unique, match, rules[onUpdate], rules[c.fk.OnDelete]})
			}
		}
	case "check_constraints":
		col("check_clause", OIDText)
		for _, c := range cons {
			if c.kind == "CHECK" {
				rel.rows = append(rel.rows, []any{db, "public", c.name, c.check})
			}
		}
	case "constraint_column_usage":
		// The columns a constraint uses: a foreign key's are the referenced ones, as in PostgreSQL.
		for _, c := range []string{"table_catalog", "table_schema", "table_name", "column_name"} {
			col(c, OIDText)
		}
		for _, c := range cons {
			table, cols := c.table, c.columns
			if c.fk != nil {
				table, cols = c.fk.Table, c.fk.RefColumns
			}
			for _, cn := range cols {
				rel.rows = append(rel.rows, []any{db, "public", c.name, db, "public", table, cn})
			}
		}
	}
	return true, nil
}
