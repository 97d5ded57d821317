package sql

import (
	"strconv"

	"github.com/cockroachdb/apd/v3"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// relationSize answers pg_relation_size, pg_table_size, pg_indexes_size and pg_total_relation_size for a
// table's or an index's oid (or regclass): the bytes its storage takes, as the backend reports them (the
// documents' BSON for a table, each index's keys and entries). A table's size leaves its indexes out but for
// pg_total_relation_size; pg_indexes_size is its indexes' (the primary key's included); an index's own size is
// the index's under every function but pg_indexes_size (0). NULL for NULL, and for an oid that names no relation,
// as in PostgreSQL; 0 for a view or a sequence.
func (x *exec) relationSize(fn string, args []any) (any, error) {
	if len(args) == 0 || args[0] == nil || (len(args) > 1 && args[1] == nil) {
		return nil, nil
	}
	if len(args) > 2 || (len(args) == 2 && fn != "pg_relation_size") {
		return nil, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", fn, len(args))
	}
	if len(args) == 2 {
		switch fork := formatText(args[1]); fork {
		case "main":
		case "fsm", "vm", "init":
			return int64(0), nil // no free-space map, visibility map or init fork: nothing in them
		default:
			return nil, &Error{Code: CodeInvalidParameterValue, Message: "invalid fork name",
				Hint: `Valid fork names are "main", "fsm", "vm", and "init".`}
		}
	}
	rc, ok, err := x.namedRelation(args[0])
	if err != nil || !ok {
		return nil, err
	}
	if ix, found, err := x.indexNamed(rc.name); err != nil {
		return nil, err
	} else if found && ix.oid == rc.oid {
		if fn == "pg_indexes_size" {
			return int64(0), nil
		}
		_, sizes, err := x.s.db().collection(ix.t.Name).sizes(x.base)
		if err != nil {
			return nil, err
		}
		return sizes[ix.served()], nil
	}
	t, err := x.lookupTable(rc.name, 0)
	if err != nil {
		return int64(0), nil // a view, a sequence or a catalog relation: no storage of its own
	}
	data, sizes, err := x.s.db().collection(t.Name).sizes(x.base)
	if err != nil {
		return nil, err
	}
	var indexes int64
	for name, n := range sizes {
		if name == "_id_" && len(t.Key) == 0 && t.declared {
			continue // a table without a primary key: its rows' hidden _id, no index of the table's
		}
		indexes += n
	}
	switch fn {
	case "pg_indexes_size":
		return indexes, nil
	case "pg_total_relation_size":
		return data + indexes, nil
	}
	return data, nil
}

// databaseSize is pg_database_size(name or oid): the total size of the database's collections, documents and
// indexes; 3D000 for a database that does not exist.
func (x *exec) databaseSize(arg any) (any, error) {
	if arg == nil {
		return nil, nil
	}
	names, err := x.s.e.b.listDatabaseNames(x.base)
	if err != nil {
		return nil, err
	}
	name := formatText(arg)
	if oid, ok := numeric(arg).(int64); ok {
		name = ""
		for i, n := range names {
			if int64(databaseOIDBase+i) == oid {
				name = n
			}
		}
		if name == "" {
			return nil, nil
		}
	}
	known := name == x.s.database
	for _, n := range names {
		known = known || n == name
	}
	if !known {
		return nil, errorf("3D000", "database \"%s\" does not exist", name)
	}
	return x.storedSize(name)
}

// storedSize is the bytes the collections of database name take, documents and indexes.
func (x *exec) storedSize(name string) (int64, error) {
	d := x.s.e.b.database(name)
	colls, err := d.listCollectionNames(x.base, bson.D{})
	if err != nil {
		return 0, err
	}
	var total int64
	for _, c := range colls {
		data, sizes, err := d.collection(c).sizes(x.base)
		if err != nil {
			return 0, err
		}
		total += data
		for _, n := range sizes {
			total += n
		}
	}
	return total, nil
}

// tablespaceSize is pg_tablespace_size(name or oid): pg_default holds every database, pg_global nothing of
// Concord's; an unknown name is 42704, an unknown oid NULL.
func (x *exec) tablespaceSize(arg any) (any, error) {
	var def bool
	switch n := numeric(arg).(type) {
	case nil:
		return nil, nil
	case int64:
		if n != defaultTablespaceOID && n != globalTablespaceOID {
			return nil, nil
		}
		def = n == defaultTablespaceOID
	default:
		name := formatText(arg)
		if name != "pg_default" && name != "pg_global" {
			return nil, errorf(CodeUndefinedObject, "tablespace \"%s\" does not exist", name)
		}
		def = name == "pg_default"
	}
	if !def {
		return int64(0), nil
	}
	names, err := x.s.e.b.listDatabaseNames(x.base)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, n := range names {
		size, err := x.storedSize(n)
		if err != nil {
			return nil, err
		}
		total += size
	}
	return total, nil
}

// sizeUnits are pg_size_pretty's units after bytes: each 1024 times the last, a value shown in the first unit
// it is below 20 * 1024 - 1 of (bytes: below 10 * 1024), rounded half away from zero.
var sizeUnits = []string{"kB", "MB", "GB", "TB", "PB"}

// sizePretty is pg_size_pretty(bigint or numeric), as PostgreSQL 15 computes it: "10239 bytes", "10 kB",
// "1206 kB", "20 MB"; each step down to the next unit keeps one bit more for the half-rounding at the end.
func sizePretty(v any) (any, error) {
	switch n := numeric(v).(type) {
	case nil:
		return nil, nil
	case int64:
		if abs64(n) < 10*1024 {
			return strconv.FormatInt(n, 10) + " bytes", nil
		}
		n /= 1 << 9 // to half-kB units, keeping the bit the rounding needs
		for i, unit := range sizeUnits {
			if i == len(sizeUnits)-1 || abs64(n) < 20*1024-1 {
				return strconv.FormatInt(halfRounded(n), 10) + " " + unit, nil
			}
			n /= 1 << 10
		}
	case *apd.Decimal:
		// A numeric goes the same way in exact arithmetic, shown as it is while in bytes.
		if new(apd.Decimal).Abs(n).Cmp(apd.New(10*1024, 0)) < 0 {
			return formatText(n) + " bytes", nil
		}
		d := new(apd.Decimal)
		div := func(x *apd.Decimal, by int64) { _, _ = decCtx.QuoInteger(d, x, apd.New(by, 0)) }
		div(n, 1<<9)
		for i, unit := range sizeUnits {
			if i == len(sizeUnits)-1 || new(apd.Decimal).Abs(d).Cmp(apd.New(20*1024-1, 0)) < 0 {
				one := apd.New(1, 0)
				one.Negative = d.Negative
				_, _ = decCtx.Add(d, d, one)
				div(d, 2)
				return d.Text('f') + " " + unit, nil
			}
			div(d, 1<<10)
		}
	}
	return formatText(v) + " bytes", nil
}

// halfRounded is PostgreSQL's half_rounded: x / 2 rounded half away from zero.
func halfRounded(x int64) int64 {
	if x > 0 {
		return (x + 1) / 2
	}
	return (x - 1) / 2
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
