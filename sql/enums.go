package sql

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Enum types: CREATE TYPE name AS ENUM (labels), as ORMs (SQLAlchemy's Enum, Prisma's enums) make them. A type is
// a document of its database's system.sql_types: its name, its oid and its labels in order, each with its sort
// position (PostgreSQL's enumsortorder, so that ALTER TYPE ... ADD VALUE BEFORE needs no renumbering). A column of
// an enum type stores its values as their labels; in the evaluator a value is an enumValue, which compares by its
// label's position as PostgreSQL's enums do ('sad' < 'happy' when declared first), so comparisons other than
// equality and sorts on such a column are evaluated here, not by the storage.

// typesCollection holds, in each database, one document per enum type.
const typesCollection = "system.sql_types"

// enumOIDBase is the first oid of enum types, past every oid PostgreSQL's own types and the catalogs' rows take.
const enumOIDBase = 3_000_000

// enumType is an enum type as its catalog document holds it.
type enumType struct {
	Name   string    `bson:"_id"`
	OID    uint32    `bson:"oid"`
	Labels []string  `bson:"labels"`
	Sort   []float64 `bson:"sort"`
	// Version counts the type's changes (ALTER TYPE), so that a definition read before one never replaces one
	// read after it in enumsByOID.
	Version int64 `bson:"version"`
}

// position is label's sort position, false for no label of the type.
func (e *enumType) position(label string) (float64, bool) {
	if i := slices.Index(e.Labels, label); i >= 0 {
		return e.Sort[i], true
	}
	return 0, false
}

// enumValue is a value of an enum type.
type enumValue struct {
	typ   *enumType
	label string
}

// enumsByOID maps the oids of the enum types read so far (in any database) to their latest definitions, for the
// conversions that have no session at hand (coerce, TypeName). A type's oid is drawn at random when it is made
// (enumOID) and kept in its document, so types of different databases (several open in one process) do not share
// one.
var enumsByOID sync.Map

// storeEnum records e in enumsByOID unless a later version of it is there already.
func storeEnum(e *enumType) {
	for {
		cur, loaded := enumsByOID.LoadOrStore(e.OID, e)
		if !loaded {
			return
		}
		if c := cur.(*enumType); c.Version > e.Version || enumsByOID.CompareAndSwap(e.OID, cur, e) {
			return
		}
	}
}

// enumOf is the enum type of oid, nil when oid is not one read so far.
func enumOf(oid uint32) *enumType {
	if oid < enumOIDBase {
		return nil
	}
	v, _ := enumsByOID.Load(oid)
	e, _ := v.(*enumType)
	return e
}

// isEnumOID reports whether oid is an enum type's.
func isEnumOID(oid uint32) bool { return enumOf(oid) != nil }

// enumOID draws the oid of a new type: one of the 2^31 - enumOIDBase above enumOIDBase that no type read so far
// has.
func enumOID(taken func(uint32) bool) uint32 {
	for {
		if oid := enumOIDBase + rand.Uint32N(1<<31-enumOIDBase); !taken(oid) {
			return oid
		}
	}
}

// enumCache keeps each database's enum types for as long as the catalog generation stays the one they were
// read at, as tableCache does for tables.
type enumCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]map[string]*enumType   // database → name → type
	d   map[string]map[string]*domainType // database → name → domain (domains.go)
}

// forget drops what the cache holds: a change the catalog generation does not show (a driver backend has none)
// is read again by the next statement.
func (c *enumCache) forget() {
	c.mu.Lock()
	c.m, c.d = nil, nil
	c.mu.Unlock()
}

// enumTypes returns the enum types of the session's database by name.
func (x *exec) enumTypes() (map[string]*enumType, error) {
	m, _, err := x.userTypes()
	return m, err
}

// userTypes returns the enum types and the domains of the session's database by name.
func (x *exec) userTypes() (map[string]*enumType, map[string]*domainType, error) {
	gen, cacheable := x.s.e.b.catalogGeneration()
	cacheable = cacheable && !x.blockChanged() // the block's catalog is its own
	c := &x.s.e.enums
	if cacheable {
		c.mu.Lock()
		if c.gen == gen && c.m != nil {
			if m, ok := c.m[x.s.database]; ok {
				d := c.d[x.s.database]
				c.mu.Unlock()
				return m, d, nil
			}
		}
		c.mu.Unlock()
	}
	docs, err := x.s.db().collection(typesCollection).find(x.catRead(), bson.D{}, nil, 0)
	if err != nil {
		return nil, nil, err
	}
	m := map[string]*enumType{}
	domains := map[string]*domainType{}
	for _, raw := range docs {
		if kind, _ := raw.Lookup("kind").StringValueOK(); kind == domainKind {
			d := &domainType{}
			if err := bson.Unmarshal(raw, d); err == nil {
				domains[d.Name] = d
				noteDomainOID(d)
			}
			continue
		}
		e := &enumType{}
		if err := bson.Unmarshal(raw, e); err != nil || len(e.Sort) != len(e.Labels) {
			continue
		}
		m[e.Name] = e
		storeEnum(e)
	}
	if cacheable {
		c.mu.Lock()
		if gen > c.gen || c.m == nil {
			c.gen, c.m, c.d = gen, map[string]map[string]*enumType{}, map[string]map[string]*domainType{}
		}
		if gen == c.gen {
			c.m[x.s.database] = m
			c.d[x.s.database] = domains
		}
		c.mu.Unlock()
	}
	return m, domains, nil
}

// resolveType is typeFromName for a statement: a built-in type, else an enum type of the session's database.
func (x *exec) resolveType(tn *pg.TypeName) (uint32, error) {
	oid, err := typeFromName(tn)
	if err == nil || tn == nil || len(tn.Names) == 0 {
		return oid, err
	}
	names := tn.Names
	if len(names) == 2 && names[0].GetString_().GetSval() == "public" {
		names = names[1:]
	}
	if len(names) != 1 {
		return 0, err
	}
	enums, domains, lerr := x.userTypes()
	if lerr != nil {
		return 0, lerr
	}
	e, ok := enums[names[0].GetString_().GetSval()]
	if !ok {
		if d := domains[names[0].GetString_().GetSval()]; d != nil && len(tn.ArrayBounds) == 0 {
			return d.Base, nil // a domain's values are the type's under it (domains.go)
		}
		return 0, err
	}
	if len(tn.ArrayBounds) > 0 {
		return 0, unsupported("arrays of enum types")
	}
	return e.OID, nil
}

// loadEnumsOf reads the enum types of the session's database when t has a column of one, so that its values
// convert (cellValue, coerce).
func (x *exec) loadEnumsOf(t *table) error {
	for _, c := range t.Columns {
		if c.Type >= enumOIDBase {
			_, err := x.enumTypes()
			return err
		}
	}
	return nil
}

// enumInput converts v to a value of enum type e: a label of it (22P02 for any other string), or a value of it.
func enumInput(e *enumType, v any) (any, error) {
	switch x := v.(type) {
	case enumValue:
		if x.typ.OID == e.OID {
			return enumValue{typ: e, label: x.label}, nil
		}
	case string:
		if _, ok := e.position(x); !ok {
			return nil, errorf(CodeInvalidTextRep, "invalid input value for enum %s: %q", e.Name, x)
		}
		return enumValue{typ: e, label: x}, nil
	}
	return nil, errorf(CodeCannotCoerce, "cannot cast type %s to %s", TypeName(valueOID(v)), e.Name)
}

// compareEnums orders two values of one enum type by their labels' positions.
func compareEnums(a, b enumValue) (int, bool) {
	if a.typ.OID != b.typ.OID {
		return 0, false
	}
	pa, _ := a.typ.position(a.label)
	pb, _ := b.typ.position(b.label)
	return cmp3(pa < pb, pa > pb), true
}

// createEnum runs CREATE TYPE name AS ENUM (labels).
func (x *exec) createEnum(ce *pg.CreateEnumStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "CREATE TYPE"}, nil
	}
	name := ce.TypeName[len(ce.TypeName)-1].GetString_().GetSval()
	if len(ce.TypeName) > 1 && ce.TypeName[0].GetString_().GetSval() != "public" {
		return nil, unsupported("types outside the public schema")
	}
	if _, err := typeFromName(&pg.TypeName{Names: []*pg.Node{pg.MakeStrNode(name)}}); err == nil {
		return nil, errorf(CodeDuplicateObject, "type %q already exists", name)
	}
	e := &enumType{Name: name, Labels: []string{}, Sort: []float64{}}
	for i, v := range ce.Vals {
		label := v.GetString_().GetSval()
		if err := checkLabel(label); err != nil {
			return nil, err
		}
		if slices.Contains(e.Labels, label) {
			return nil, &Error{Code: CodeUniqueViolation, Message: `duplicate key value violates unique constraint "pg_enum_typid_label_index"`,
				Detail: fmt.Sprintf("Key (enumtypid, enumlabel)=(%d, %s) already exists.", enumOID(func(uint32) bool { return false }), label)}
		}
		e.Labels = append(e.Labels, label)
		e.Sort = append(e.Sort, float64(i+1))
	}
	enums, err := x.enumTypes()
	if err != nil {
		return nil, err
	}
	if _, ok := enums[name]; ok {
		return nil, errorf(CodeDuplicateObject, "type %q already exists", name)
	}
	e.OID = enumOID(func(oid uint32) bool { return enumOf(oid) != nil })
	if err := x.s.db().collection(typesCollection).insertOne(x.catWrite(), e); err != nil {
		if isDuplicateKey(err) {
			return nil, errorf(CodeDuplicateObject, "type %q already exists", name)
		}
		return nil, err
	}
	storeEnum(e)
	return &Result{Tag: "CREATE TYPE"}, nil
}

// checkLabel refuses a label PostgreSQL refuses: empty, or longer than 63 bytes.
func checkLabel(label string) error {
	if label == "" || len(label) > 63 {
		return &Error{Code: CodeInvalidParameterValue, Message: fmt.Sprintf("invalid enum label %q", label),
			Detail: "Labels must be 63 bytes or less."}
	}
	return nil
}

// alterEnum runs ALTER TYPE name ADD VALUE [IF NOT EXISTS] label [BEFORE | AFTER neighbor] and ALTER TYPE name
// RENAME VALUE old TO new. The type's document is read and written back only if unchanged meanwhile, again
// until it is: two sessions adding labels at once both add theirs.
func (x *exec) alterEnum(ae *pg.AlterEnumStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "ALTER TYPE"}, nil
	}
	name := ae.TypeName[len(ae.TypeName)-1].GetString_().GetSval()
	coll := x.s.db().collection(typesCollection)
	if ae.OldVal != "" {
		if err := x.labelUnnamed(name, ae.OldVal); err != nil {
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		raw, err := coll.findOne(x.base, bson.D{{Key: "_id", Value: name}})
		if isNoDocuments(err) {
			return nil, errorf(CodeUndefinedObject, "type %q does not exist", name)
		}
		if err != nil {
			return nil, err
		}
		old := &enumType{}
		if err := bson.Unmarshal(raw, old); err != nil {
			return nil, err
		}
		e, done, err := x.alteredEnum(ae, old)
		if err != nil || done {
			return &Result{Tag: "ALTER TYPE"}, err
		}
		e.Version = old.Version + 1
		var version any = old.Version
		if old.Version == 0 {
			version = bson.D{{Key: "$in", Value: bson.A{0, nil}}} // a type made without the field
		}
		_, err = coll.findOneAndUpdate(x.base, bson.D{{Key: "_id", Value: name}, {Key: "version", Value: version}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "labels", Value: e.Labels}, {Key: "sort", Value: e.Sort}, {Key: "version", Value: e.Version}}}})
		if isNoDocuments(err) && attempt < 100 {
			continue // changed meanwhile: again, from its new labels
		}
		if err != nil {
			return nil, err
		}
		storeEnum(e)
		return &Result{Tag: "ALTER TYPE"}, nil
	}
}

// alteredEnum is old with ae's change; done reports that there is none to make (IF NOT EXISTS).
func (x *exec) alteredEnum(ae *pg.AlterEnumStmt, old *enumType) (e *enumType, done bool, err error) {
	e = &enumType{Name: old.Name, OID: old.OID, Labels: slices.Clone(old.Labels), Sort: slices.Clone(old.Sort)}
	if ae.OldVal != "" { // RENAME VALUE
		i := slices.Index(e.Labels, ae.OldVal)
		if i < 0 {
			return nil, false, errorf(CodeInvalidParameterValue, "%q is not an existing enum label", ae.OldVal)
		}
		if slices.Contains(e.Labels, ae.NewVal) {
			return nil, false, errorf(CodeDuplicateObject, "enum label %q already exists", ae.NewVal)
		}
		if err := checkLabel(ae.NewVal); err != nil {
			return nil, false, err
		}
		if err := x.renameEnumValues(e, ae.OldVal, ae.NewVal); err != nil {
			return nil, false, err
		}
		e.Labels[i] = ae.NewVal
		return e, false, nil
	}
	if slices.Contains(e.Labels, ae.NewVal) {
		if ae.SkipIfNewValExists {
			x.warn(&Error{Code: CodeDuplicateObject, Severity: "NOTICE", Message: fmt.Sprintf("enum label %q already exists, skipping", ae.NewVal)})
			return nil, true, nil
		}
		return nil, false, errorf(CodeDuplicateObject, "enum label %q already exists", ae.NewVal)
	}
	if err := checkLabel(ae.NewVal); err != nil {
		return nil, false, err
	}
	pos := 1.0
	if len(e.Sort) > 0 {
		pos = slices.Max(e.Sort) + 1
	}
	if ae.NewValNeighbor != "" {
		p, ok := e.position(ae.NewValNeighbor)
		if !ok {
			return nil, false, errorf(CodeInvalidParameterValue, "%q is not an existing enum label", ae.NewValNeighbor)
		}
		// Halfway to the next label on that side, or one past the last (before the first), as PostgreSQL
		// places it.
		next, found := 0.0, false
		for _, q := range e.Sort {
			if ae.NewValIsAfter && q > p && (!found || q < next) || !ae.NewValIsAfter && q < p && (!found || q > next) {
				next, found = q, true
			}
		}
		switch {
		case found:
			pos = (p + next) / 2
		case ae.NewValIsAfter:
			pos = p + 1
		default:
			pos = p - 1
		}
	}
	e.Labels = append(e.Labels, ae.NewVal)
	e.Sort = append(e.Sort, pos)
	return e, false, nil
}

// labelUnnamed refuses (0A000) RENAME VALUE of a label that a CHECK constraint, a column default or a view names
// as text: PostgreSQL's keep the value itself, which a rename does not change, but Concord's keep their SQL text
// (and a CHECK's compiled validator), which would go on naming the old label.
func (x *exec) labelUnnamed(typeName, label string) error {
	tables, _, err := x.declaredTables()
	if err != nil {
		return err
	}
	quoted := "'" + strings.ReplaceAll(label, "'", "''") + "'"
	for _, t := range tables {
		texts := []string{t.View}
		for _, c := range t.Checks {
			texts = append(texts, c.Expr)
		}
		for _, c := range t.Columns {
			texts = append(texts, c.Default)
		}
		for _, text := range texts {
			if strings.Contains(text, quoted) {
				return unsupported(fmt.Sprintf("ALTER TYPE %s RENAME VALUE of a label %s names (a CHECK constraint, a default or a view): drop or change it first", typeName, t.Name))
			}
		}
	}
	return nil
}

// renameEnumValues rewrites the stored label from to to in every column of type e: values are stored as their
// labels.
func (x *exec) renameEnumValues(e *enumType, from, to string) error {
	tables, _, err := x.declaredTables()
	if err != nil {
		return err
	}
	for _, t := range tables {
		for _, c := range t.Columns {
			if c.Type != e.OID {
				continue
			}
			f := t.field(c.Name)
			if _, err := x.s.db().collection(t.Name).updateMany(x.base, bson.D{{Key: f, Value: from}},
				bson.D{{Key: "$set", Value: bson.D{{Key: f, Value: to}}}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropTypes runs DROP TYPE [IF EXISTS] names: a type a column still has is 2BP01 (CASCADE, which would drop the
// columns, is refused).
func (x *exec) dropTypes(ds *pg.DropStmt) (*Result, error) {
	tag := "DROP TYPE"
	if ds.RemoveType == pg.ObjectType_OBJECT_DOMAIN {
		tag = "DROP DOMAIN"
	}
	if x.describe {
		return &Result{Tag: tag}, nil
	}
	enums, domains, err := x.userTypes()
	if err != nil {
		return nil, err
	}
	tables, _, err := x.declaredTables()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, o := range ds.Objects {
		tn := o.GetTypeName()
		if tn == nil || len(tn.Names) == 0 {
			continue
		}
		name := tn.Names[len(tn.Names)-1].GetString_().GetSval()
		e, ok := enums[name]
		if tag == "DROP DOMAIN" && domains[name] == nil {
			// Not a domain: PostgreSQL's error (42809 for another type, 42704 for none), or its notice.
			if _, _, err := x.dropNothing(&pg.DropStmt{RemoveType: ds.RemoveType, Objects: []*pg.Node{o}, MissingOk: ds.MissingOk}); err != nil {
				return nil, err
			}
			continue
		}
		if domains[name] != nil {
			if err := x.checkDomainDrop(name, ds); err != nil {
				return nil, err
			}
			names = append(names, name)
			continue
		}
		if !ok {
			if ds.MissingOk {
				x.warn(&Error{Code: CodeUndefinedObject, Severity: "NOTICE", Message: fmt.Sprintf("type %q does not exist, skipping", name)})
				continue
			}
			return nil, errorf(CodeUndefinedObject, "type %q does not exist", name)
		}
		for _, t := range tables {
			for _, c := range t.Columns {
				if c.Type == e.OID {
					if ds.Behavior == pg.DropBehavior_DROP_CASCADE {
						return nil, unsupported("DROP TYPE ... CASCADE (it would drop the columns of the type)")
					}
					return nil, &Error{Code: CodeDependentObjectsStillExist, Message: fmt.Sprintf("cannot drop type %s because other objects depend on it", name),
						Detail: fmt.Sprintf("column %s of table %s depends on type %s", c.Name, t.Name, name),
						Hint:   "Use DROP ... CASCADE to drop the dependent objects too."}
				}
			}
		}
		names = append(names, name)
	}
	for _, name := range names {
		if err := x.s.db().collection(typesCollection).deleteOne(x.catWrite(), bson.D{{Key: "_id", Value: name}}); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: tag}, nil
}

// enumCatalogRows are pg_enum's rows for the session's database.
func (x *exec) enumCatalogRows() ([][]any, error) {
	enums, err := x.enumTypes()
	if err != nil {
		return nil, err
	}
	var rows [][]any
	for _, name := range sortedKeys(enums) {
		e := enums[name]
		for i, l := range e.Labels {
			rows = append(rows, []any{int64(e.OID)*1000 + int64(i), int64(e.OID), e.Sort[i], l})
		}
	}
	return rows, nil
}

// enumNames lists the labels of an enum type in order (enum_range).
func enumLabels(e *enumType) []any {
	idx := make([]int, len(e.Labels))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp3(e.Sort[a] < e.Sort[b], e.Sort[a] > e.Sort[b]) })
	out := make([]any, len(idx))
	for i, j := range idx {
		out[i] = enumValue{typ: e, label: e.Labels[j]}
	}
	return out
}

// enumTypeName is TypeName of an enum oid, "" for another.
func enumTypeName(oid uint32) string {
	if e := enumOf(oid); e != nil {
		if strings.ContainsAny(e.Name, "\" ") || strings.ToLower(e.Name) != e.Name {
			return quoteIdent(e.Name)
		}
		return e.Name
	}
	return ""
}

// enumOperands converts a string compared with an enum value to that enum type, so that a string that is none of
// its labels is 22P02 as in PostgreSQL.
func enumOperands(l, r *any) error {
	if e, ok := (*l).(enumValue); ok {
		if s, ok := (*r).(string); ok {
			v, err := enumInput(e.typ, s)
			if err != nil {
				return err
			}
			*r = v
		}
	}
	if e, ok := (*r).(enumValue); ok {
		if s, ok := (*l).(string); ok {
			v, err := enumInput(e.typ, s)
			if err != nil {
				return err
			}
			*l = v
		}
	}
	return nil
}

// IsEnumOID reports whether oid is an enum type's, for package pgserver (an enum's binary form is its label).
func IsEnumOID(oid uint32) bool { return isEnumOID(oid) }

// checkEnumDefault refuses (22P02), as PostgreSQL does when the default is made, a constant default of an enum
// column that is none of its labels.
func checkEnumDefault(oid uint32, def *pg.Node) error {
	e := enumOf(oid)
	if e == nil || def == nil {
		return nil
	}
	if tc := def.GetTypeCast(); tc != nil {
		def = tc.Arg
	}
	if c := def.GetAConst(); c != nil && c.GetSval() != nil {
		_, err := enumInput(e, c.GetSval().Sval)
		return err
	}
	return nil
}
