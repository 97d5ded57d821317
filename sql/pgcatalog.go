package sql

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// catalogNames are the pg_catalog and information_schema relations
// Concord answers, so that psql's \dt, \d and \l work.
var catalogNames = map[string]bool{
	"pg_class": true, "pg_namespace": true, "pg_attribute": true, "pg_type": true, "pg_database": true,
	"pg_index": true, "pg_roles": true, "pg_am": true, "pg_attrdef": true, "pg_collation": true,
	"pg_constraint": true, "pg_policy": true, "pg_statistic_ext": true, "pg_publication": true,
	"pg_inherits": true, "pg_trigger": true, "pg_description": true, "pg_tablespace": true,
	"pg_indexes": true, "pg_enum": true,
	// pg_dump's: the sequences, dependencies and extensions are answered, the others (functions, operators,
	// casts, rules, privileges, publications, ...) are empty, as in a database that has none of its own.
	"pg_sequence": true, "pg_sequences": true, "pg_depend": true, "pg_extension": true, "pg_settings": true,
	"pg_proc": true, "pg_language": true, "pg_operator": true, "pg_opclass": true, "pg_opfamily": true,
	"pg_ts_parser": true, "pg_ts_template": true, "pg_ts_dict": true, "pg_ts_config": true,
	"pg_foreign_data_wrapper": true, "pg_foreign_server": true, "pg_foreign_table": true, "pg_default_acl": true,
	"pg_conversion": true, "pg_cast": true, "pg_range": true, "pg_transform": true, "pg_event_trigger": true,
	"pg_partitioned_table": true, "pg_rewrite": true, "pg_publication_rel": true, "pg_publication_namespace": true,
	"pg_subscription": true, "pg_largeobject_metadata": true, "pg_init_privs": true, "pg_seclabels": true,
	"pg_amop": true, "pg_amproc": true, "pg_views": true, "pg_tables": true, "pg_db_role_setting": true,
	"pg_shseclabel": true, "pg_matviews": true,
}

// databaseOwnerOID is the oid of PostgreSQL's role pg_database_owner, which owns the public schema.
const databaseOwnerOID = 6171

// catalogOIDs are the oids PostgreSQL gives its catalog relations: a catalog row's tableoid, and the value of
// 'pg_class'::regclass, which pg_depend's and pg_description's classid columns hold.
var catalogOIDs = map[string]int64{
	"pg_class": 1259, "pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_namespace": 2615,
	"pg_constraint": 2606, "pg_attrdef": 2604, "pg_index": 2610, "pg_depend": 2608, "pg_description": 2609,
	"pg_extension": 3079, "pg_rewrite": 2618, "pg_enum": 3501, "pg_sequence": 2224, "pg_database": 1262,
	"pg_am": 2601, "pg_trigger": 2620, "pg_collation": 3456, "pg_inherits": 2611, "pg_policy": 3256,
	"pg_language": 2612, "pg_operator": 2617, "pg_opclass": 2616, "pg_opfamily": 2753, "pg_cast": 2605,
	"pg_amop": 2602, "pg_amproc": 2603, "pg_tablespace": 1213, "pg_authid": 1260, "pg_statistic_ext": 3381,
	"pg_publication": 6104, "pg_event_trigger": 3466, "pg_conversion": 2607, "pg_default_acl": 826,
	"pg_foreign_data_wrapper": 2328, "pg_foreign_server": 1417, "pg_transform": 3576, "pg_ts_parser": 3601,
	"pg_ts_template": 3764, "pg_ts_dict": 3600, "pg_ts_config": 3602, "pg_subscription": 6100,
	"pg_largeobject_metadata": 2995, "pg_init_privs": 3394, "pg_publication_rel": 6106,
	"pg_publication_namespace": 6237, "pg_db_role_setting": 2964, "pg_shseclabel": 3592,
}

// isCatalogName reports whether an unqualified name is a pg_catalog
// relation (pg_catalog is on every search path).
func isCatalogName(name string) bool {
	return len(name) > 3 && name[:3] == "pg_" && catalogNames[name]
}

// catalogRelation builds a catalog relation from the database's tables.
func (x *exec) catalogRelation(schema, name string) (*relation, error) {
	if rel, ok, err := x.statRelation(schema, name); ok {
		return rel, err
	}
	tables, isView, err := x.relationNames()
	if err != nil {
		return nil, err
	}
	rel := &relation{}
	col := func(name string, oid uint32) { rel.cols = append(rel.cols, relCol{name: name, oid: oid}) }
	filled := false // by informationSchemaConstraints, sequenceCatalog or dependCatalog
	if schema == "information_schema" {
		if filled, err = x.informationSchemaConstraints(name, rel, col); err != nil {
			return nil, err
		}
	} else if filled, err = x.dependCatalog(name, rel, col); err != nil {
		return nil, err
	}
	if !filled {
		if filled, err = x.sequenceCatalog(schema, name, rel, col); err != nil {
			return nil, err
		}
	}
	switch {
	case filled:
	case schema == "information_schema" && name == "domains":
		for _, c := range []string{"domain_catalog", "domain_schema", "domain_name", "data_type", "domain_default", "udt_catalog", "udt_schema", "udt_name"} {
			col(c, OIDText)
		}
		for _, c := range []string{"character_maximum_length", "numeric_precision", "numeric_scale"} {
			col(c, OIDInt4)
		}
		_, domains, err := x.userTypes()
		if err != nil {
			return nil, err
		}
		for _, name := range slices.Sorted(maps.Keys(domains)) {
			d := domains[name]
			var def any
			if d.Default != "" {
				def = exprDisplay(d.Default, false)
			}
			dataType, udt := TypeName(d.Base), internalName(d.Base)
			if types[d.Base].elem != 0 {
				dataType = "ARRAY"
			}
			length, precision, scale := columnSizes(column{Type: d.Base, TypMod: d.TypMod})
			rel.rows = append(rel.rows, []any{x.s.database, "public", d.Name, dataType, def, x.s.database, "pg_catalog", udt, length, precision, scale})
		}
	case schema == "information_schema" && name == "views":
		for _, c := range []string{"table_catalog", "table_schema", "table_name", "view_definition", "check_option",
			"is_updatable", "is_insertable_into", "is_trigger_updatable", "is_trigger_deletable", "is_trigger_insertable_into"} {
			col(c, OIDText)
		}
		err := x.eachView(tables, isView, func(t string, def any) {
			rel.rows = append(rel.rows, []any{x.s.database, "public", t, def, "NONE", "NO", "NO", "NO", "NO", "NO"})
		})
		if err != nil {
			return nil, err
		}
	case schema == "information_schema" && name == "schemata":
		for _, c := range []string{"catalog_name", "schema_name", "schema_owner", "default_character_set_catalog",
			"default_character_set_schema", "default_character_set_name", "sql_path"} {
			col(c, OIDText)
		}
		// The schemas PostgreSQL lists to the superuser: tools look for public here before creating it.
		super := x.s.user() // role 10, the bootstrap superuser, owns the system's schemas
		for _, sc := range []struct{ name, owner string }{{"information_schema", super}, {"pg_catalog", super},
			{"pg_toast", super}, {"public", "pg_database_owner"}} {
			rel.rows = append(rel.rows, []any{x.s.database, sc.name, sc.owner, nil, nil, nil, nil})
		}
	case schema == "information_schema" && name == "tables":
		col("table_catalog", OIDText)
		col("table_schema", OIDText)
		col("table_name", OIDText)
		col("table_type", OIDText)
		mat, err := x.matViewNames()
		if err != nil {
			return nil, err
		}
		for _, t := range tables {
			if mat[t] {
				continue // the SQL standard's views have no materialized views
			}
			typ := "BASE TABLE"
			if isView[t] {
				typ = "VIEW"
			}
			if x.s.isTemp(t) {
				typ = "LOCAL TEMPORARY"
			}
			rel.rows = append(rel.rows, []any{x.s.database, x.s.schemaOf(t), t, typ})
		}
	case schema == "information_schema" && name == "columns":
		for _, c := range []string{"table_catalog", "table_schema", "table_name", "column_name"} {
			col(c, OIDText)
		}
		col("ordinal_position", OIDInt4)
		col("data_type", OIDText)
		col("is_nullable", OIDText)
		col("column_default", OIDText)
		col("is_identity", OIDText)
		col("identity_generation", OIDText)
		col("character_maximum_length", OIDInt4)
		col("numeric_precision", OIDInt4)
		col("numeric_scale", OIDInt4)
		col("udt_name", OIDText)
		// More of PostgreSQL's columns, which ORMs read to compare a table with their models (TypeORM).
		col("udt_catalog", OIDText)
		col("udt_schema", OIDText)
		col("datetime_precision", OIDInt4)
		col("is_generated", OIDText)
		col("generation_expression", OIDText)
		col("collation_name", OIDText)
		col("is_updatable", OIDText)
		col("numeric_precision_radix", OIDInt4) // Prisma reads it
		// An identity column's sequence options, as text (PostgreSQL's character_data).
		for _, c := range []string{"identity_start", "identity_increment", "identity_maximum", "identity_minimum", "identity_cycle"} {
			col(c, OIDText)
		}
		for _, c := range []string{"domain_name", "domain_schema", "domain_catalog"} {
			col(c, OIDText)
		}
		var seqs map[string]pgSequence // read at the first identity column
		for _, tn := range tables {
			t, err := x.lookupTable(tn, 0)
			if err != nil {
				return nil, err
			}
			for i, c := range x.columnsOf(t) {
				nullable := "YES"
				if c.NotNull {
					nullable = "NO"
				}
				var def, generation, generatedExpr any
				identity, generated := "NO", "NEVER"
				if c.Default != "" && c.Identity == "" {
					def = exprDisplay(c.Default, false) // as pg_get_expr shows it, as PostgreSQL's view does
				}
				if c.Generated != "" {
					generated, generatedExpr = "ALWAYS", exprDisplay(c.Generated, false)
				}
				idOpts := []any{nil, nil, nil, nil, "NO"}
				if c.Identity != "" {
					identity, generation = "YES", map[string]string{"a": "ALWAYS", "d": "BY DEFAULT"}[c.Identity]
					if seqs == nil {
						all, err := x.pgSequences()
						if err != nil {
							return nil, err
						}
						seqs = map[string]pgSequence{}
						for _, s := range all {
							seqs[s.name] = s
						}
					}
					if s, ok := seqs[c.Sequence]; ok {
						idOpts = []any{strconv.FormatInt(s.start, 10), strconv.FormatInt(s.inc, 10), strconv.FormatInt(s.max, 10),
							strconv.FormatInt(s.min, 10), map[bool]string{true: "YES", false: "NO"}[s.cycle]}
					}
				}
				length, precision, scale := columnSizes(c)
				dataType, udt := TypeName(c.Type), internalName(c.Type)
				if types[c.Type].elem != 0 && !IsVector(c.Type) {
					dataType = "ARRAY" // and udt_name the array type's (_int4), as PostgreSQL shows an array column
				}
				udtSchema := "pg_catalog"
				if e := enumOf(c.Type); e != nil {
					dataType, udt, udtSchema = "USER-DEFINED", e.Name, "public" // as PostgreSQL shows a column of a type of its own
				}
				var domain any
				if c.Domain != "" {
					domain = c.Domain // data_type and udt_name are the type's under it
				}
				var dtPrecision any
				switch c.Type {
				case OIDDate:
					dtPrecision = int64(0)
				case OIDTimestamp, OIDTimestamptz, OIDTime, OIDInterval:
					dtPrecision = int64(6)
					if precisionType(c.Type) && c.TypMod >= typmodHeader {
						dtPrecision = int64(c.TypMod - typmodHeader) // timestamp(p), time(p)
					}
				}
				var radix any // 2 for the binary numbers' precision in bits, 10 for numeric's in digits
				switch {
				case isIntType(c.Type) || c.Type == OIDFloat4 || c.Type == OIDFloat8:
					radix = int64(2)
				case c.Type == OIDNumeric:
					radix = int64(10)
				}
				rel.rows = append(rel.rows, []any{x.s.database, x.s.schemaOf(tn), tn, c.Name, int64(i + 1), dataType, nullable,
					def, identity, generation, length, precision, scale, udt, x.s.database, udtSchema, dtPrecision, generated, generatedExpr, nil, "YES", radix,
					idOpts[0], idOpts[1], idOpts[2], idOpts[3], idOpts[4], domain, domainSchema(domain), domainCatalog(domain, x.s.database)})
			}
		}
	case name == "pg_namespace":
		col("oid", OIDOID)
		col("nspname", OIDName)
		col("nspowner", OIDOID)
		// public belongs to pg_database_owner, as in PostgreSQL 15 (pg_dump then leaves it out of its script).
		rel.rows = [][]any{{int64(2200), "public", int64(databaseOwnerOID)}, {int64(11), "pg_catalog", int64(10)},
			{int64(13000), "information_schema", int64(10)}}
		if len(x.s.temps) > 0 {
			rel.rows = append(rel.rows, []any{int64(tempNamespaceOID), x.s.tempSchema(), int64(10)})
		}
	case name == "pg_class":
		for _, c := range []struct {
			n string
			o uint32
		}{{"oid", OIDOID}, {"relname", OIDName}, {"relnamespace", OIDOID}, {"relkind", OIDChar},
			{"relowner", OIDOID}, {"relam", OIDOID}, {"relpersistence", OIDChar}, {"relispartition", OIDBool},
			{"relhasindex", OIDBool}, {"relchecks", OIDInt2}, {"relhasrules", OIDBool}, {"relhastriggers", OIDBool},
			{"relrowsecurity", OIDBool}, {"relforcerowsecurity", OIDBool}, {"relhasoids", OIDBool},
			{"reltype", OIDOID}, {"relhassubclass", OIDBool},
			{"reltablespace", OIDOID}, {"reloftype", OIDOID}, {"relreplident", OIDChar}, {"reloptions", OIDTextArray},
			{"reltoastrelid", OIDOID}, {"reltuples", OIDFloat4}, {"relpages", OIDInt4}, {"relallvisible", OIDInt4},
			{"relnatts", OIDInt2}, {"relisshared", OIDBool}, {"relfilenode", OIDOID}} {
			col(c.n, c.o)
		}
		indexes, err := x.pgIndexes()
		if err != nil {
			return nil, err
		}
		hasIndex := indexedTables(indexes)
		for i, t := range tables {
			relkind := "r" // pg_class.relkind
			if isView[t] {
				relkind = "v"
			}
			var options any // pg_class.reloptions: the table's storage parameters
			checks := 0     // pg_class.relchecks: psql's \d lists the CHECK constraints when it is not 0
			natts := 0      // pg_class.relnatts: the table's columns
			// relhastriggers: PostgreSQL's foreign keys are triggers on both tables, and psql's \d lists them
			// ("Foreign-key constraints", "Referenced by") only when it is set.
			triggers := false
			if isView[t] {
				if tt, err := x.lookupTable(t, 0); err == nil {
					if tt.CheckOption != "" {
						options = []any{"check_option=" + tt.CheckOption} // pg_dump writes WITH ... CHECK OPTION from it
					}
					triggers = len(tt.Triggers) > 0 // INSTEAD OF triggers, which pg_dump dumps when it is set
				}
			}
			if !isView[t] {
				if tt, err := x.lookupTable(t, 0); err == nil {
					if tt.MatView != "" {
						relkind = "m"
					}
					checks, natts = len(tt.Checks), len(tt.Columns)
					triggers = tt.hasFKTriggers()
					if len(tt.RelOptions) > 0 {
						opts := make([]any, len(tt.RelOptions))
						for i, o := range tt.RelOptions {
							opts[i] = o
						}
						options = opts
					}
				}
			}
			nsp, persistence := int64(2200), "p"
			if x.s.isTemp(t) {
				nsp, persistence = tempNamespaceOID, "t"
			}
			rel.rows = append(rel.rows, []any{tableOID(i), t, nsp, relkind, int64(10), int64(2), persistence, false,
				hasIndex[tableOID(i)], int64(checks), false, triggers, false, false, false, tableOID(i) + rowTypeOIDOffset, false,
				int64(0), int64(0), "d", options, int64(0),
				// reltuples -1 and relpages 0: never vacuumed nor analyzed, as a new table of PostgreSQL 15's is
				float64(-1), int64(0), int64(0), int64(natts), false, tableOID(i)})
		}
		for _, ix := range indexes {
			nsp, persistence := int64(2200), "p"
			if x.s.isTemp(ix.table) {
				nsp, persistence = tempNamespaceOID, "t"
			}
			rel.rows = append(rel.rows, []any{ix.oid, ix.name, nsp, "i", int64(10), int64(403), persistence, false,
				false, int64(0), false, false, false, false, false, int64(0), false, int64(0), int64(0), "n", nil, int64(0),
				float64(0), int64(1), int64(0), int64(len(ix.columns)), false, ix.oid})
		}
		seqs, err := x.pgSequences()
		if err != nil {
			return nil, err
		}
		for _, s := range seqs {
			rel.rows = append(rel.rows, []any{s.oid, s.name, int64(2200), "S", int64(10), int64(0), "p", false,
				false, int64(0), false, false, false, false, false, int64(0), false, int64(0), int64(0), "n", nil, int64(0),
				float64(1), int64(1), int64(0), int64(3), false, s.oid})
		}
	case name == "pg_index":
		for _, c := range []struct {
			n string
			o uint32
		}{{"indexrelid", OIDOID}, {"indrelid", OIDOID}, {"indnatts", OIDInt2}, {"indnkeyatts", OIDInt2},
			{"indisunique", OIDBool}, {"indisprimary", OIDBool}, {"indisexclusion", OIDBool}, {"indimmediate", OIDBool},
			{"indisclustered", OIDBool}, {"indisvalid", OIDBool}, {"indisready", OIDBool}, {"indislive", OIDBool},
			{"indisreplident", OIDBool}, {"indkey", OIDInt2Vector}, {"indoption", OIDInt2Vector},
			{"indnullsnotdistinct", OIDBool}, {"indclass", OIDOIDVector}, {"indexprs", OIDText}, {"indpred", OIDText}} {
			col(c.n, c.o)
		}
		indexes, err := x.pgIndexes()
		if err != nil {
			return nil, err
		}
		for _, ix := range indexes {
			cols := x.columnsOf(ix.t)
			keys := make([]any, len(ix.columns)) // indkey: the columns' attnums, 0 for a field no column names
			for i, c := range ix.columns {
				keys[i] = int64(0)
				for j := range cols {
					if cols[j].Name == c {
						keys[i] = int64(j + 1)
					}
				}
			}
			// indoption: 3 (DESC, NULLS FIRST, as DESC sorts NULLs) for a descending column, 0 for an ascending one:
			// SQLAlchemy and Prisma read a column's direction from it.
			options, classes := make([]any, len(ix.columns)), make([]any, len(ix.columns))
			for i, c := range ix.columns {
				options[i] = int64(0)
				if i < len(ix.desc) && ix.desc[i] {
					options[i] = int64(3)
				}
				typ := uint32(OIDText) // a field no column names
				if col := ix.t.column(c); col != nil {
					typ = col.Type
				}
				classes[i] = opclassOf(typ)
			}
			// indexprs: an expression index's expressions, as pg_get_expr writes them; indpred: a partial index's
			// WHERE clause.
			var exprs, pred any
			var texts []string
			for _, c := range ix.columns {
				if ix.t.isIndexExpr(c) {
					texts = append(texts, exprDisplay(c, false))
				}
			}
			if len(texts) > 0 {
				exprs = strings.Join(texts, ", ")
			}
			if p := ix.predicate(); p != "" {
				pred = p
			}
			n := int64(len(ix.columns))
			clustered := ix.t != nil && ix.t.Clustered == ix.name
			rel.rows = append(rel.rows, []any{ix.oid, ix.tableOID, n, n, ix.unique, ix.primary, false, true,
				clustered, true, true, true, false, keys, options, ix.nullsNotDistinct(), classes, exprs, pred})
		}
	case name == "pg_tables":
		// The tables, as PostgreSQL's view over pg_class lists them (scripts ask it which tables exist).
		for _, c := range []string{"schemaname", "tablename", "tableowner", "tablespace"} {
			col(c, OIDName)
		}
		for _, c := range []string{"hasindexes", "hasrules", "hastriggers", "rowsecurity"} {
			col(c, OIDBool)
		}
		indexes, err := x.pgIndexes()
		if err != nil {
			return nil, err
		}
		hasIndex := indexedTables(indexes)
		mat, err := x.matViewNames()
		if err != nil {
			return nil, err
		}
		for i, t := range tables {
			if isView[t] || mat[t] {
				continue
			}
			triggers := false // PostgreSQL's foreign keys are triggers
			if tt, err := x.lookupTable(t, 0); err == nil {
				triggers = tt.hasFKTriggers()
			}
			rel.rows = append(rel.rows, []any{x.s.schemaOf(t), t, x.s.user(), nil, hasIndex[tableOID(i)], false, triggers, false})
		}
	case name == "pg_views":
		for _, c := range []string{"schemaname", "viewname", "viewowner"} {
			col(c, OIDName)
		}
		col("definition", OIDText)
		err := x.eachView(tables, isView, func(t string, def any) {
			rel.rows = append(rel.rows, []any{"public", t, x.s.user(), def})
		})
		if err != nil {
			return nil, err
		}
	case name == "pg_matviews":
		for _, c := range []string{"schemaname", "matviewname", "matviewowner", "tablespace"} {
			col(c, OIDName)
		}
		col("hasindexes", OIDBool)
		col("ispopulated", OIDBool)
		col("definition", OIDText)
		indexes, err := x.pgIndexes()
		if err != nil {
			return nil, err
		}
		hasIndex := indexedTables(indexes)
		for i, t := range tables {
			tt, err := x.lookupTable(t, 0)
			if err != nil || tt.MatView == "" {
				continue
			}
			rel.rows = append(rel.rows, []any{x.s.schemaOf(t), t, x.s.user(), nil, hasIndex[tableOID(i)], !tt.Unpopulated, x.matViewDef(tt)})
		}
	case name == "pg_indexes":
		for _, c := range []string{"schemaname", "tablename", "indexname", "tablespace"} {
			col(c, OIDName)
		}
		col("indexdef", OIDText)
		indexes, err := x.pgIndexes()
		if err != nil {
			return nil, err
		}
		for _, ix := range indexes {
			rel.rows = append(rel.rows, []any{x.s.schemaOf(ix.table), ix.table, ix.name, nil, ix.def(false)})
		}
	case name == "pg_attribute":
		for _, c := range []struct {
			n string
			o uint32
		}{{"attrelid", OIDOID}, {"attname", OIDName}, {"atttypid", OIDOID}, {"attnum", OIDInt2},
			{"attnotnull", OIDBool}, {"attisdropped", OIDBool}, {"atttypmod", OIDInt4}, {"atthasdef", OIDBool},
			{"attidentity", OIDChar}, {"attgenerated", OIDChar}, {"attcollation", OIDOID}, {"attstorage", OIDChar},
			{"attstattarget", OIDInt4}, {"attislocal", OIDBool}, {"atthasmissing", OIDBool}, {"attlen", OIDInt2}} {
			col(c.n, c.o)
		}
		// NULL: no options, foreign-data options or privileges, which pg_dump reads unqualified in subqueries.
		for _, c := range []string{"attoptions", "attfdwoptions", "attacl", "attmissingval"} {
			col(c, OIDTextArray)
		}
		for i, tn := range tables {
			t, err := x.lookupTable(tn, 0)
			if err != nil {
				return nil, err
			}
			for j, c := range x.columnsOf(t) {
				typmod, typ := int64(PGTypmod(c.Type, c.TypMod)), int64(c.Type)
				if oid := x.domainOID(c.Domain); oid != 0 {
					typmod, typ = -1, int64(oid) // a domain's column: its type is the domain (format_type shows its name)
				}
				rel.rows = append(rel.rows, []any{tableOID(i), c.Name, typ, int64(j + 1), c.NotNull, false,
					typmod, c.defaultExpr() != "", c.Identity, attGenerated(c), collationOf(c.Type), attStorage(c.Type),
					int64(-1), true, false, typLen(c.Type), nil, nil, nil, nil})
			}
		}
		// An index's attributes are its key columns (psql's \d index lists them).
		indexes, err := x.pgIndexes()
		if err != nil {
			return nil, err
		}
		for _, ix := range indexes {
			names := ix.attNames()
			for j, name := range ix.columns {
				typ, typmod := uint32(OIDText), int64(-1)
				if c := ix.t.column(name); c != nil {
					typ = c.Type
					typmod = int64(PGTypmod(c.Type, c.TypMod))
				} else if n, err := parseExpr(name); err == nil && ix.isExpr(j) {
					cols := tableCols(ix.t, ix.t.Name)
					if t := x.typeOf(n, &scope{cols: cols, row: make([]any, len(cols))}); t != 0 {
						typ = t // an expression's type: (a + b) of integers is an integer
					}
				}
				rel.rows = append(rel.rows, []any{ix.oid, names[j], int64(typ), int64(j + 1), false, false, typmod, false, "", "", collationOf(typ), attStorage(typ),
					int64(-1), true, false, typLen(typ), nil, nil, nil, nil})
			}
		}
	case name == "pg_attrdef":
		col("oid", OIDOID)
		col("adrelid", OIDOID)
		col("adnum", OIDInt2)
		col("adbin", OIDText)
		err := x.eachAttrdef(func(oid, table int64, j int, c column) {
			rel.rows = append(rel.rows, []any{oid, table, int64(j + 1), c.defaultExpr()})
		})
		if err != nil {
			return nil, err
		}
	case name == "pg_constraint":
		col("oid", OIDOID)
		col("conname", OIDName)
		col("connamespace", OIDOID)
		col("contype", OIDChar)
		col("conrelid", OIDOID)
		col("confrelid", OIDOID)
		col("convalidated", OIDBool)
		col("conislocal", OIDBool)
		col("conparentid", OIDOID)
		col("conindid", OIDOID)
		col("condeferrable", OIDBool)
		col("condeferred", OIDBool)
		col("conkey", OIDInt2Array)
		col("confkey", OIDInt2Array)
		col("confupdtype", OIDChar)
		col("confdeltype", OIDChar)
		col("confmatchtype", OIDChar)
		col("contypid", OIDOID)
		checks, err := x.pgConstraints()
		if err != nil {
			return nil, err
		}
		for _, c := range checks {
			var key, refKey any
			if c.key != nil {
				key = c.key
			}
			if c.refKey != nil {
				refKey = c.refKey
			}
			upd, del, match := " ", " ", " " // PostgreSQL's blank for a constraint that is no foreign key
			if c.kind == "f" {
				upd, del, match = c.onUpdate, c.onDelete, c.match
			}
			rel.rows = append(rel.rows, []any{c.oid, c.name, int64(2200), c.kind, c.table, c.refTable, !c.notValid, true, int64(0), c.index, c.deferrable, c.deferred,
				key, refKey, upd, del, match, c.domain})
		}
	case name == "pg_database":
		col("oid", OIDOID)
		col("datname", OIDName)
		col("datdba", OIDOID)
		col("encoding", OIDInt4)
		col("datcollate", OIDText)
		col("datctype", OIDText)
		col("datacl", OIDTextArray)
		col("datlocprovider", OIDChar)
		col("daticulocale", OIDText)
		col("datistemplate", OIDBool)
		col("datconnlimit", OIDInt4)
		col("datallowconn", OIDBool) // pgjdbc's getCatalogs lists the databases that take connections
		col("dattablespace", OIDOID) // pg_default: psql's \l+ joins pg_tablespace by it
		names, err := x.s.e.b.listDatabaseNames(x.base)
		if err != nil {
			return nil, err
		}
		for i, n := range names {
			rel.rows = append(rel.rows, []any{int64(databaseOIDBase + i), n, int64(10), int64(6), "C.UTF-8", "C.UTF-8", nil, "c", nil, false, int64(-1), true,
				int64(defaultTablespaceOID)})
		}
	case name == "pg_tablespace":
		col("oid", OIDOID)
		col("spcname", OIDName)
		col("spcowner", OIDOID)
		col("spcacl", OIDTextArray)
		col("spcoptions", OIDTextArray)
		rel.rows = [][]any{{int64(defaultTablespaceOID), "pg_default", int64(10), nil, nil}, {int64(globalTablespaceOID), "pg_global", int64(10), nil, nil}}
	case name == "pg_roles":
		col("oid", OIDOID)
		col("rolname", OIDName)
		col("rolsuper", OIDBool)
		col("rolinherit", OIDBool)
		col("rolcanlogin", OIDBool)
		col("rolconnlimit", OIDInt4)
		for _, c := range []string{"rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls"} {
			col(c, OIDBool) // psql's \du lists them as the role's attributes
		}
		rel.rows = [][]any{{int64(10), x.s.user(), true, true, true, int64(-1), true, true, true, true},
			{int64(databaseOwnerOID), "pg_database_owner", false, true, false, int64(-1), false, false, false, false}}
	case name == "pg_opclass":
		// The default btree operator classes of the types Concord's indexes hold (pg_index.indclass names them):
		// SQLAlchemy and Prisma read an index column's operator class, and keep a non-default one.
		col("oid", OIDOID)
		col("opcmethod", OIDOID)
		col("opcname", OIDName)
		col("opcnamespace", OIDOID)
		col("opcowner", OIDOID)
		col("opcfamily", OIDOID)
		col("opcintype", OIDOID)
		col("opcdefault", OIDBool)
		col("opckeytype", OIDOID)
		for _, c := range opclasses {
			oid := int64(opclassOIDBase + c.intype)
			rel.rows = append(rel.rows, []any{oid, int64(403), c.name, int64(11), int64(10), oid, int64(c.intype), true, int64(0)})
		}
	case name == "pg_collation":
		// PostgreSQL's own three (a C.UTF-8 database has no others of note): Django reads a column's collation
		// by joining pg_attribute.attcollation with collname, and shows none for "default".
		for _, c := range []string{"oid", "collname", "collnamespace", "collowner", "collprovider", "collisdeterministic",
			"collencoding", "collcollate", "collctype"} {
			typ := uint32(OIDText)
			switch c {
			case "oid", "collnamespace", "collowner":
				typ = OIDOID
			case "collname":
				typ = OIDName
			case "collprovider":
				typ = OIDChar
			case "collisdeterministic":
				typ = OIDBool
			case "collencoding":
				typ = OIDInt4
			}
			col(c, typ)
		}
		rel.rows = [][]any{
			{int64(defaultCollationOID), "default", int64(11), int64(10), "d", true, int64(-1), nil, nil},
			{int64(cCollationOID), "C", int64(11), int64(10), "c", true, int64(-1), "C", "C"},
			{int64(951), "POSIX", int64(11), int64(10), "c", true, int64(-1), "POSIX", "POSIX"},
		}
	case name == "pg_am":
		col("oid", OIDOID)
		col("amname", OIDName)
		rel.rows = [][]any{{int64(2), "heap"}, {int64(403), "btree"}}
	case name == "pg_type":
		col("oid", OIDOID)
		col("typname", OIDName)
		col("typcollation", OIDOID)
		col("typnamespace", OIDOID)
		col("typtype", OIDChar)
		col("typcategory", OIDChar)
		col("typrelid", OIDOID)
		col("typelem", OIDOID)
		col("typarray", OIDOID)
		col("typowner", OIDOID)
		col("typisdefined", OIDBool)
		col("typstorage", OIDChar) // as its columns' attstorage: pg_dump sets a column's storage when they differ
		// The length, and no domain's base type or modifier: pgjdbc's getColumns reads them.
		col("typlen", OIDInt2)
		col("typtypmod", OIDInt4)
		col("typbasetype", OIDOID)
		col("typnotnull", OIDBool)
		col("typinput", OIDText)  // regproc: array_in marks an array type to pgjdbc
		col("typreceive", OIDOID) // array_recv's oid marks an array type to Npgsql
		col("typdelim", OIDChar)  // Rails reads an array type's delimiter from its element type
		col("typdefault", OIDText)
		for oid, t := range types {
			typtype, receive := "b", int64(0)
			if t.elem != 0 && !IsVector(oid) {
				receive = arrayRecvOID
			}
			if oid == OIDRecord {
				typtype = "p" // a pseudo-type
			}
			rel.rows = append(rel.rows, []any{int64(oid), t.typname, collationOf(oid), int64(11), typtype, typeCategory(oid), int64(0), int64(t.elem), int64(t.array), int64(10), true, attStorage(oid),
				typLen(oid), int64(-1), int64(0), false, typInput(oid), receive, ",", nil})
		}
		enums, domains, err := x.userTypes()
		if err != nil {
			return nil, err
		}
		for _, e := range enums {
			rel.rows = append(rel.rows, []any{int64(e.OID), e.Name, int64(0), int64(2200), "e", "E", int64(0), int64(0), int64(0), int64(10), true, attStorage(e.OID),
				int64(4), int64(-1), int64(0), false, "enum_in", int64(0), ",", nil})
		}
		for _, d := range domains {
			// A domain: typtype d, the type under it and its modifier, NOT NULL and DEFAULT (psql's \dD reads them).
			var def any
			if text := d.Default; text != "" {
				def = exprDisplay(text, false)
			}
			parent := d.Base
			if p := domains[d.Parent]; p != nil {
				parent = p.OID
			}
			rel.rows = append(rel.rows, []any{int64(d.OID), d.Name, collationOf(d.Base), int64(2200), "d", typeCategory(d.Base), int64(0), int64(0), int64(0), int64(10), true,
				attStorage(d.Base), typLen(d.Base), int64(PGTypmod(d.Base, d.TypMod)), int64(parent), d.NotNull, "domain_in", int64(0), ",", def})
		}
	case name == "pg_settings":
		// The session's run-time parameters, by name, as SHOW gives them.
		for _, c := range []string{"name", "setting", "unit", "category", "short_desc", "context", "vartype", "source",
			"boot_val", "reset_val"} {
			col(c, OIDText)
		}
		col("pending_restart", OIDBool)
		vals := x.settings()
		builtin := x.builtinSettings()
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			shown := k
			if n, ok := mixedCaseParams[k]; ok {
				shown = n
			}
			source, boot := "default", builtin[k]
			if v, set := x.s.params.vals[k]; set {
				source = "session"
				if d, startup := x.s.defaults.vals[k]; startup && d == v {
					source = "client" // the startup message's
				}
			}
			var unit any
			setting := vals[k]
			switch k {
			case "statement_timeout", "lock_timeout", "deadlock_timeout":
				unit = "ms" // the setting in milliseconds, as PostgreSQL's view gives it
				d := map[string]time.Duration{"statement_timeout": x.s.params.timeout, "lock_timeout": x.s.params.lockTimeout,
					"deadlock_timeout": deadlockTimeout}[k]
				setting = strconv.FormatInt(d.Milliseconds(), 10)
				boot = map[string]string{"deadlock_timeout": "1000"}[k]
				if boot == "" {
					boot = "0"
				}
			}
			context := "user"
			if k == "server_version" || k == "server_version_num" || k == "server_encoding" || k == "max_identifier_length" || k == "integer_datetimes" ||
				k == "max_index_keys" {
				context = "internal"
			}
			rel.rows = append(rel.rows, []any{shown, setting, unit, nil, nil, context, "string", source, boot, setting, false})
		}
	case name == "pg_enum":
		col("oid", OIDOID)
		col("enumtypid", OIDOID)
		col("enumsortorder", OIDFloat4)
		col("enumlabel", OIDName)
		rows, err := x.enumCatalogRows()
		if err != nil {
			return nil, err
		}
		rel.rows = rows
	case name == "pg_trigger":
		for _, c := range []string{"oid", "tgrelid", "tgparentid", "tgfoid", "tgconstrrelid", "tgconstrindid", "tgconstraint"} {
			col(c, OIDOID)
		}
		col("tgname", OIDName)
		col("tgtype", OIDInt2)
		col("tgenabled", OIDChar)
		col("tgisinternal", OIDBool)
		col("tgdeferrable", OIDBool)
		col("tginitdeferred", OIDBool)
		col("tgnargs", OIDInt2)
		col("tgattr", OIDInt2Vector)
		col("tgargs", OIDBytea)
		col("tgqual", OIDText)
		col("tgoldtable", OIDName)
		col("tgnewtable", OIDName)
		rows, err := x.triggerRows()
		if err != nil {
			return nil, err
		}
		rel.rows = rows
	case name == "pg_language":
		// The languages PostgreSQL has built in, by which pg_dump reads a function's (pg_proc.prolang).
		for _, c := range []string{"oid", "lanowner", "lanplcallfoid", "laninline", "lanvalidator"} {
			col(c, OIDOID)
		}
		col("lanname", OIDName)
		col("lanispl", OIDBool)
		col("lanpltrusted", OIDBool)
		col("lanacl", OIDTextArray)
		rel.rows = [][]any{
			{int64(12), int64(10), int64(0), int64(0), int64(2246), "internal", false, false, nil},
			{int64(13), int64(10), int64(0), int64(0), int64(2247), "c", false, false, nil},
			{int64(14), int64(10), int64(0), int64(0), int64(2248), "sql", false, true, nil},
			{int64(plpgsqlOID), int64(10), int64(13560), int64(13561), int64(13562), "plpgsql", true, true, nil},
		}
	case emptyCatalogs[name] != nil:
		// Empty, with the columns by which pg_dump's queries join them with other catalogs unqualified.
		for _, c := range emptyCatalogs[name] {
			typ := uint32(OIDText)
			if c == "oid" || strings.HasSuffix(c, "oid") || strings.HasSuffix(c, "namespace") || strings.HasSuffix(c, "owner") {
				typ = OIDOID
			}
			col(c, typ)
		}
		if name == "pg_proc" {
			// array_recv alone, pg_catalog's, which pg_type.typreceive names for the array types: Npgsql tells
			// arrays from base types by it when it loads the types at connection.
			rel.rows = append(rel.rows, []any{int64(arrayRecvOID), "array_recv", int64(11), int64(10), "12", "3", nil, "2277", nil, "f",
				"f", "array_recv", nil, "s", "t", "f", "1", "0", "f", "s", "-", nil, nil})
			// And the database's functions (CREATE FUNCTION): psql's \df lists them, pg_dump dumps them.
			fns, err := x.userFunctions()
			if err != nil {
				return nil, err
			}
			for _, name := range slices.Sorted(maps.Keys(fns)) {
				for _, fn := range fns[name] {
					types := make([]string, len(fn.ArgTypes))
					for i, t := range fn.ArgTypes {
						types[i] = strconv.FormatUint(uint64(t), 10)
					}
					rows := "0"
					if fn.returnsSet() {
						rows = "1000"
					}
					lang := "14"
					if fn.Language == "plpgsql" {
						lang = strconv.Itoa(plpgsqlOID)
					}
					kind := "f"
					if fn.Procedure {
						kind = "p"
					}
					rel.rows = append(rel.rows, []any{int64(fn.OID), fn.Name, int64(2200), int64(10), lang, strconv.Itoa(len(fn.ArgTypes)),
						strings.Join(types, " "), strconv.FormatUint(uint64(fn.Returns), 10), nil, kind,
						map[bool]string{true: "t", false: "f"}[fn.returnsSet()], fn.Body, nil, fn.Volatility,
						map[bool]string{true: "t", false: "f"}[fn.Strict], "f", "100", rows, "f", "u", "-", nil, nil})
				}
			}
		}
	default:
		// Any other catalog relation is empty, and its columns read as NULL:
		// what psql asks of policies, statistics objects, publications,
		// inheritance and the like, which Concord does not have.
	}
	// Columns Concord does not fill read as NULL (psql asks for many), but for tableoid, the catalog's own oid,
	// by which pg_dump matches pg_description's and pg_depend's rows with the objects they are about.
	rel.cols = append(rel.cols, relCol{hidden: true, open: true})
	var system any // the hidden column's document: nil, or {tableoid: oid}
	if oid := catalogOIDs[name]; oid != 0 && schema != "information_schema" {
		raw, err := bson.Marshal(bson.D{{Key: "tableoid", Value: oid}})
		if err != nil {
			return nil, err
		}
		system = bson.Raw(raw)
	}
	for i := range rel.rows {
		rel.rows[i] = append(rel.rows[i], system)
	}
	return rel, nil
}

// emptyCatalogs are the catalogs that are empty here (Concord has no functions, operators, casts, rules,
// privileges or publications of a user's) that pg_dump joins with others, with the columns its queries name.
var emptyCatalogs = map[string][]string{
	"pg_proc": {"oid", "proname", "pronamespace", "proowner", "prolang", "pronargs", "proargtypes", "prorettype",
		"proacl", "prokind", "proretset", "prosrc", "probin", "provolatile", "proisstrict", "prosecdef", "procost",
		"prorows", "proleakproof", "proparallel", "prosupport", "proconfig", "protrftypes"},
	"pg_init_privs": {"objoid", "classoid", "objsubid", "privtype", "initprivs"},
	"pg_cast":       {"oid", "castsource", "casttarget", "castfunc", "castcontext", "castmethod"},
	"pg_transform":  {"oid", "trftype", "trflang", "trffromsql", "trftosql"},
	"pg_range":      {"rngtypid", "rngsubtype", "rngmultitypid"},
	"pg_rewrite":    {"oid", "rulename", "ev_class", "ev_type", "ev_enabled", "is_instead"},
	"pg_amop":       {"oid", "amopfamily"},
	"pg_amproc":     {"oid", "amprocfamily"},
	"pg_trigger":    {"oid", "tgrelid", "tgparentid", "tgname", "tgfoid", "tgenabled", "tgisinternal"},
	"pg_policy":     {"oid", "polrelid", "polname", "polcmd", "polpermissive", "polroles", "polqual", "polwithcheck"},
	"pg_inherits":   {"inhrelid", "inhparent", "inhseqno"},
	"pg_language":   {"oid", "lanname", "lanowner", "lanispl", "lanpltrusted", "lanplcallfoid", "laninline", "lanvalidator", "lanacl"},
	"pg_seclabels":  {"objoid", "classoid", "objsubid", "objtype", "objnamespace", "objname", "provider", "label"},
	"pg_subscription": {"oid", "subdbid", "subname", "subowner", "subenabled", "subconninfo", "subslotname",
		"subsynccommit", "subpublications"},
	"pg_publication_rel":       {"oid", "prpubid", "prrelid", "prqual", "prattrs"},
	"pg_publication_namespace": {"oid", "pnpubid", "pnnspid"},
	"pg_partitioned_table":     {"partrelid", "partstrat", "partnatts", "partclass"},
	"pg_event_trigger":         {"oid", "evtname", "evtevent", "evtowner", "evtfoid", "evtenabled", "evttags"},
	"pg_largeobject_metadata":  {"oid", "lomowner", "lomacl"},
	"pg_foreign_table":         {"ftrelid", "ftserver", "ftoptions"},
	"pg_extension": {"oid", "extname", "extowner", "extnamespace", "extrelocatable", "extversion", "extconfig",
		"extcondition"},
	"pg_db_role_setting": {"setdatabase", "setrole", "setconfig"},
	"pg_shseclabel":      {"objoid", "classoid", "provider", "label"},
}

// attStorage is pg_attribute.attstorage of a column of type oid: psql's \d+ shows plain for the fixed-length
// types, extended for the variable-length ones.
func attStorage(oid uint32) string {
	switch oid {
	case OIDInt2, OIDInt4, OIDInt8, OIDFloat4, OIDFloat8, OIDBool, OIDTimestamptz, OIDTimestamp, OIDDate, OIDInterval, OIDOID,
		OIDUUID, OIDTime:
		return "p"
	case OIDNumeric:
		return "m" // main: compressed in place, as PostgreSQL keeps a numeric
	}
	if enumOf(oid) != nil {
		return "p"
	}
	return "x"
}

// The oids of PostgreSQL's tablespaces pg_default, where every database is, and pg_global.
const (
	defaultTablespaceOID = 1663
	globalTablespaceOID  = 1664
)

// The oids of PostgreSQL's collations "default" and "C".
const (
	defaultCollationOID = 100
	cCollationOID       = 950
)

// collationOf is pg_attribute.attcollation and pg_type.typcollation for type oid: the database's default for
// the string types and their arrays, C for name, none (0) for the types that do not collate.
func collationOf(oid uint32) int64 {
	if t, ok := types[oid]; ok && t.elem != 0 {
		oid = t.elem
	}
	switch oid {
	case OIDText, OIDVarchar, OIDBpchar:
		return defaultCollationOID
	case OIDName:
		return cCollationOID
	}
	return 0
}

// tableOID is the oid pg_class shows for the i-th table.
func tableOID(i int) int64 { return int64(16384 + i) }

// arrayRecvOID is the oid of PostgreSQL's array_recv, the receive function of every array type.
const arrayRecvOID = 2400

// rowTypeOIDOffset puts a table's or view's row type (pg_class.reltype, non-zero as PostgreSQL's composite
// type's oid: Prisma reads the columns of the relations that have one) above its oid.
const rowTypeOIDOffset = 500_000

// isRegclass reports whether a type name is regclass, the type whose values name relations.
func isRegclass(tn *pg.TypeName) bool {
	return tn != nil && len(tn.Names) > 0 && strings.EqualFold(tn.Names[len(tn.Names)-1].GetString_().GetSval(), "regclass")
}

// isRegtype reports whether a cast's type is regtype.
func isRegtype(tn *pg.TypeName) bool { return typeNameIs(tn, "regtype") }

// typeNameIs reports whether a type name is name (qualified or not, in any case).
func typeNameIs(tn *pg.TypeName, name string) bool {
	return tn != nil && len(tn.Names) > 0 && strings.EqualFold(tn.Names[len(tn.Names)-1].GetString_().GetSval(), name)
}

// regtypeOf is a cast to regtype: a type's name, as PostgreSQL's grammar reads it (int4, "pg_catalog"."varchar",
// character varying(20), integer[]), or a type's oid, shown as the type's name (integer, character varying,
// integer[]); an unknown name is 42704.
func (x *exec) regtypeOf(v any) (any, error) {
	switch n := numeric(v).(type) {
	case nil:
		return nil, nil
	case regclass:
		if n.typ {
			return n, nil
		}
	case int64:
		if _, ok := types[uint32(n)]; ok || enumOf(uint32(n)) != nil || domainName(uint32(n)) != "" {
			return regtypeValue(uint32(n)), nil
		}
		return regclass{oid: n, typ: true}, nil
	case string:
		if oid, ok := typnameOID(n); ok {
			return regtypeValue(oid), nil // a type's internal name: _text, int4 (TypeORM casts information_schema's udt_name)
		}
		oid, err := x.typeNamed(n)
		if err != nil {
			return nil, err
		}
		return regtypeValue(oid), nil
	}
	return nil, errorf(CodeCannotCoerce, "cannot cast type %s to regtype", TypeName(valueOID(v)))
}

// regtypeValue is the regtype value of type oid.
func regtypeValue(oid uint32) regclass {
	return regclass{oid: int64(oid), name: TypeName(oid), typ: true}
}

// typeNamed is the oid of the type a name names, as PostgreSQL's grammar reads a type name (int4,
// "pg_catalog"."varchar", character varying(20), integer[]); an unknown name is 42704.
func (x *exec) typeNamed(n string) (uint32, error) {
	s := strings.TrimSpace(n)
	if s == "" || strings.ContainsAny(s, ";'") {
		return 0, errorf(CodeInvalidName, "invalid type name %q", n)
	}
	tree, err := pg.Parse("SELECT NULL::" + s)
	if err != nil || len(tree.Stmts) != 1 {
		return 0, errorf(CodeInvalidName, "invalid type name %q", n)
	}
	targets := tree.Stmts[0].Stmt.GetSelectStmt().GetTargetList()
	if len(targets) != 1 {
		return 0, errorf(CodeInvalidName, "invalid type name %q", n)
	}
	tc := targets[0].GetResTarget().GetVal().GetTypeCast()
	if tc == nil || tc.TypeName == nil {
		return 0, errorf(CodeInvalidName, "invalid type name %q", n)
	}
	names := tc.TypeName.Names
	if len(names) == 2 && names[0].GetString_().GetSval() != "pg_catalog" && names[0].GetString_().GetSval() != "public" {
		return 0, errorf(CodeUndefinedObject, "schema %q does not exist", names[0].GetString_().GetSval())
	}
	if d, err := x.domainNamed(tc.TypeName); err != nil || d != nil {
		if err != nil {
			return 0, err
		}
		return d.OID, nil // the domain's own oid, not its base type's
	}
	return x.resolveType(tc.TypeName)
}

// regclass is a value of type regclass, a relation's oid: it compares as the oid, with oid columns and numbers,
// and prints as the relation's name (quoted where an identifier must be), or as the oid's digits when no
// relation has it, "-" for 0.
//
// A regtype value is one too, with typ set: a type's oid, printed as the type's name (integer[], character
// varying), so that pg_type.oid = 'int4[]'::regtype compares oids.
type regclass struct {
	oid  int64
	name string
	typ  bool
}

func (r regclass) text() string {
	switch {
	case r.typ && r.name != "":
		return r.name
	case r.name != "":
		return quoteIdent(r.name)
	case r.oid == 0:
		return "-"
	}
	return strconv.FormatInt(r.oid, 10)
}

// serialSequence is pg_get_serial_sequence(table, column): the qualified name of the sequence a serial or
// identity column owns (public.t_id_seq), NULL for another column; the table is named as regclass reads a name
// ('"Users"', 'public.users'), the column as it is spelled.
func (x *exec) serialSequence(tableName, column string) (any, error) {
	name, ok := regclassInput(tableName, x.s.database)
	if !ok {
		return nil, errorf(CodeInvalidName, "invalid name syntax")
	}
	t, err := x.lookupTable(name, -1)
	if err != nil {
		return nil, err
	}
	c := t.column(column)
	if c == nil {
		return nil, errorf(CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", column, t.Name)
	}
	if c.Sequence == "" {
		return nil, nil
	}
	return "public." + quoteIdent(c.Sequence), nil
}

// regclassOf casts a value to regclass as PostgreSQL does: a number is an oid (a negative one wraps around as an
// unsigned 32-bit number; beyond that range 22003), text is an oid's digits or a relation's name. A name no
// relation has stays text, as nextval('sequence'::regclass) names a sequence.
func (x *exec) regclassOf(v any) (any, error) {
	var oid int64
	switch n := numeric(v).(type) {
	case regclass:
		if n.typ {
			return nil, errorf(CodeCannotCoerce, "cannot cast type regtype to regclass")
		}
		return n, nil
	case int64:
		oid = n
	case string:
		name, ok := regclassInput(n, x.s.database)
		if !ok {
			return nil, errorf(CodeInvalidName, "invalid name syntax")
		}
		r, found, err := x.relationByName(name)
		if err != nil {
			return nil, err
		}
		if found {
			return r, nil
		}
		if oid := catalogOIDs[name]; oid != 0 {
			return regclass{oid: oid, name: name}, nil
		}
		if catalogNames[name] {
			return name, nil // a catalog relation: no oid of its own here
		}
		// A sequence, by the oid pg_sequence gives it (nextval('s'::regclass) names one too).
		if _, err := x.s.db().collection(sequencesCollection).findOne(x.catRead(), bson.D{{Key: "_id", Value: name}}); err == nil {
			seqs, err := x.pgSequences()
			if err != nil {
				return nil, err
			}
			for _, s := range seqs {
				if s.name == name {
					return regclass{oid: s.oid, name: name}, nil
				}
			}
			return name, nil
		} else if !isNoDocuments(err) {
			return nil, err
		}
		return nil, errorf(CodeUndefinedTable, "relation \"%s\" does not exist", strings.TrimSpace(n))
	default:
		return v, nil
	}
	if oid < math.MinInt32 || oid > math.MaxUint32 {
		return nil, errorf(CodeNumericOutOfRange, "OID out of range")
	}
	if oid < 0 {
		oid += 1 << 32
	}
	names, err := x.regclassNames()
	if err != nil {
		return nil, err
	}
	if i := oid - tableOID(0); i >= 0 && i < int64(len(names)) {
		return regclass{oid: oid, name: names[i]}, nil
	}
	if name, ok, err := x.sequenceByOID(oid); err != nil || ok {
		return regclass{oid: oid, name: name}, err
	}
	for name, o := range catalogOIDs {
		if o == oid {
			return regclass{oid: oid, name: name}, nil
		}
	}
	if oid >= indexOIDBase {
		indexes, err := x.pgIndexes()
		if err != nil {
			return nil, err
		}
		if i := oid - indexOIDBase; i < int64(len(indexes)) {
			return regclass{oid: oid, name: indexes[i].name}, nil
		}
	}
	return regclass{oid: oid}, nil
}

// namedRelation reads a catalog function's relation argument (an oid, a regclass or a name): the relation, and
// false when it names none (an oid no relation has).
func (x *exec) namedRelation(arg any) (regclass, bool, error) {
	r, err := x.regclassOf(arg)
	if err != nil {
		return regclass{}, false, err
	}
	rc, ok := r.(regclass)
	return rc, ok && rc.name != "", nil
}

// toRegclass is to_regclass(name): the relation a name names, as a cast to regclass finds it, or NULL when no
// relation (or schema) has that name; a name that cannot be one is 42602, as in PostgreSQL.
func (x *exec) toRegclass(name string) (any, error) {
	if !strings.Contains(name, `"`) && strings.ContainsAny(strings.TrimSpace(name), " \t\n") {
		return nil, errorf(CodeInvalidName, "invalid name syntax") // a b: words, not a name
	}
	if _, ok := regclassInput(name, x.s.database); !ok {
		if parts := strings.Split(strings.TrimSpace(name), "."); len(parts) == 2 && parts[0] != "" && parts[1] != "" &&
			!strings.ContainsAny(name, `" `) {
			return nil, nil // schema.name of a schema Concord does not have
		}
	}
	v, err := x.regclassOf(name)
	if e, ok := err.(*Error); ok && e.Code == CodeUndefinedTable {
		return nil, nil
	}
	return v, err
}

// regclassNames is relationNames for regclass casts, listed once a statement (a cast may run for every row).
func (x *exec) regclassNames() ([]string, error) {
	if x.relNames == nil {
		names, _, err := x.relationNames()
		if err != nil {
			return nil, err
		}
		x.relNames = append([]string{}, names...)
	}
	return x.relNames, nil
}

// regclassInput reads a relation name as regclass's input does: surrounding spaces trimmed, an optional public.
// schema (or the current database and a schema), an unquoted name folded to lower case, a double-quoted one as
// written.
func regclassInput(s, database string) (string, bool) {
	var parts []string
	s = strings.TrimSpace(s)
	for s != "" {
		var part string
		if s[0] == '"' {
			end := 1
			for ; end < len(s); end++ {
				if s[end] == '"' {
					if end+1 < len(s) && s[end+1] == '"' {
						end++
						continue
					}
					break
				}
			}
			if end >= len(s) {
				return "", false
			}
			part, s = strings.ReplaceAll(s[1:end], `""`, `"`), s[end+1:]
		} else {
			i := strings.IndexByte(s, '.')
			if i < 0 {
				i = len(s)
			}
			part, s = strings.ToLower(strings.TrimSpace(s[:i])), s[i:]
		}
		parts = append(parts, part)
		if s != "" {
			if s[0] != '.' {
				return "", false
			}
			s = s[1:]
		}
	}
	switch {
	case len(parts) == 1 && parts[0] != "":
		return parts[0], true
	case len(parts) == 2 && (parts[0] == "public" || parts[0] == "pg_catalog") && parts[1] != "":
		return parts[1], true
	case len(parts) == 3 && parts[0] == database && (parts[1] == "public" || parts[1] == "pg_catalog") && parts[2] != "":
		return parts[2], true // database.schema.name, as information_schema's columns spell a relation
	}
	return "", false
}

// relationByName finds a table, view or index by its name.
func (x *exec) relationByName(name string) (regclass, bool, error) {
	names, err := x.regclassNames()
	if err != nil {
		return regclass{}, false, err
	}
	for i, n := range names {
		if n == name {
			return regclass{oid: tableOID(i), name: n}, true, nil
		}
	}
	indexes, err := x.pgIndexes()
	if err != nil {
		return regclass{}, false, err
	}
	for _, ix := range indexes {
		if ix.name == name {
			return regclass{oid: ix.oid, name: ix.name}, true, nil
		}
	}
	return regclass{}, false, nil
}

// oidArg reads an oid argument of a catalog function: a number, a regclass, or an oid's digits.
func oidArg(v any) (int64, bool) {
	switch n := numeric(v).(type) {
	case int64:
		return n, true
	case regclass:
		return n.oid, true
	}
	return 0, false
}

// columnsOf returns a table's declared columns, or for a collection
// without declared columns _id and the top-level fields of a sample of its
// documents.
func (x *exec) columnsOf(t *table) []column {
	if t.declared {
		return t.Columns
	}
	cols := []column{{Name: "_id", Type: OIDText}}
	seen := map[string]bool{"_id": true}
	docs, err := x.s.db().collection(t.Name).find(x.base, bson.D{}, nil, 100)
	if err != nil {
		return cols
	}
	for _, doc := range docs {
		elems, _ := doc.Elements()
		for _, e := range elems {
			if !seen[e.Key()] {
				seen[e.Key()] = true
				cols = append(cols, column{Name: e.Key(), Type: valueOID(fromBSON(e.Value()))})
			}
		}
	}
	return cols
}

// typeCategory is a built-in type's pg_type.typcategory, as PostgreSQL's: A array, B boolean, D date and time, N
// numeric, S string, T timespan, Z internal ("char"), U the others.
func typeCategory(oid uint32) string {
	switch {
	case types[oid].elem != 0:
		return "A"
	case isNumericType(oid), oid == OIDOID:
		return "N"
	}
	switch oid {
	case OIDBool:
		return "B"
	case OIDText, OIDVarchar, OIDBpchar, OIDName:
		return "S"
	case OIDDate, OIDTime, OIDTimestamp, OIDTimestamptz:
		return "D"
	case OIDInterval:
		return "T"
	case OIDChar:
		return "Z"
	case OIDInet, OIDCidr:
		return "I"
	}
	return "U"
}

// typLen is pg_type.typlen of a type: its values' fixed size in bytes, -1 for a type of variable length, as
// PostgreSQL's (name 64, an enum 4).
func typLen(oid uint32) int64 {
	switch oid {
	case OIDBool:
		return 1
	case OIDInt2:
		return 2
	case OIDInt4, OIDFloat4, OIDOID, OIDDate:
		return 4
	case OIDInt8, OIDFloat8, OIDTimestamp, OIDTimestamptz, OIDTime:
		return 8
	case OIDInterval, OIDUUID:
		return 16
	case OIDName:
		return 64
	}
	if enumOf(oid) != nil {
		return 4
	}
	return -1
}

// typInput is pg_type.typinput of a built-in type: array_in for an array type, else its input function's name.
func typInput(oid uint32) string {
	if types[oid].elem != 0 {
		return "array_in"
	}
	switch oid {
	case OIDNumeric, OIDDate, OIDTimestamp, OIDTimestamptz, OIDInterval, OIDTime, OIDJSON, OIDJSONB, OIDUUID, OIDRecord:
		return types[oid].typname + "_in"
	}
	return types[oid].typname + "in"
}

// typnameOID is the built-in type whose pg_type.typname is name (_text, int4, timestamptz), optionally qualified
// with pg_catalog, quoted or not.
func typnameOID(name string) (uint32, bool) {
	if !strings.Contains(name, `""`) {
		name = strings.ReplaceAll(name, `"`, "") // "pg_catalog"."_text"
	}
	name = strings.TrimPrefix(name, "pg_catalog.")
	for oid, t := range types {
		if t.typname == name {
			return oid, true
		}
	}
	return 0, false
}

// hasFKTriggers reports whether PostgreSQL would show t with triggers (pg_class.relhastriggers, pg_tables'
// hastriggers): its foreign keys, and those referencing it, are triggers there.
func (t *table) hasFKTriggers() bool {
	return len(t.ForeignKeys) > 0 || len(t.ReferencedBy) > 0 || len(t.Triggers) > 0
}

// opclassOIDBase puts an operator class's oid (pg_opclass) above its input type's.
const opclassOIDBase = 4_000_000

// opclasses are the default btree operator classes pg_opclass lists, by their input type, as PostgreSQL names
// them (varchar's columns use text_ops, arrays array_ops, enums enum_ops).
var opclasses = []struct {
	name   string
	intype uint32
}{
	{"bool_ops", OIDBool}, {"bytea_ops", OIDBytea}, {"int2_ops", OIDInt2}, {"int4_ops", OIDInt4}, {"int8_ops", OIDInt8},
	{"float4_ops", OIDFloat4}, {"float8_ops", OIDFloat8}, {"numeric_ops", OIDNumeric}, {"text_ops", OIDText},
	{"bpchar_ops", OIDBpchar}, {"name_ops", OIDName}, {"oid_ops", OIDOID}, {"date_ops", OIDDate},
	{"time_ops", OIDTime}, {"timestamp_ops", OIDTimestamp}, {"timestamptz_ops", OIDTimestamptz},
	{"interval_ops", OIDInterval}, {"uuid_ops", OIDUUID}, {"jsonb_ops", OIDJSONB},
	{"array_ops", anyArrayOID}, {"enum_ops", anyEnumOID},
}

// anyArrayOID and anyEnumOID are PostgreSQL's anyarray and anyenum, the input types of array_ops and enum_ops.
const (
	anyArrayOID = 2277
	anyEnumOID  = 3500
)

// opclassOf is the oid of the default operator class of an index column of type typ (text_ops for a type with
// none of its own).
func opclassOf(typ uint32) int64 {
	switch {
	case typ == OIDVarchar:
		typ = OIDText
	case types[typ].elem != 0:
		typ = anyArrayOID
	case enumOf(typ) != nil:
		typ = anyEnumOID
	}
	for _, c := range opclasses {
		if c.intype == typ {
			return int64(opclassOIDBase + typ)
		}
	}
	return int64(opclassOIDBase + OIDText)
}

// indexedTables are the oids of the tables that have indexes (pg_class.relhasindex, pg_tables.hasindexes).
func indexedTables(indexes []pgIndex) map[int64]bool {
	out := map[int64]bool{}
	for _, ix := range indexes {
		out[ix.tableOID] = true
	}
	return out
}

// eachView calls fn with each view among the relations names and its definition as the catalogs show it.
func (x *exec) eachView(names []string, isView map[string]bool, fn func(name string, def any)) error {
	for _, t := range names {
		if !isView[t] {
			continue
		}
		def, err := x.viewDef(t)
		if err != nil {
			return err
		}
		fn(t, def)
	}
	return nil
}
