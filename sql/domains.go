package sql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Domains: CREATE DOMAIN name [AS] type [DEFAULT expr] [[CONSTRAINT c] NOT NULL | NULL | CHECK (expr)]..., a type
// with constraints over another (a built-in type, an enum or another domain), and ALTER DOMAIN and DROP DOMAIN. A
// domain is a document of its database's system.sql_types beside the enum types (kind "domain"): its name, its
// oid, the type under it and its constraints, each CHECK an expression of VALUE.
//
// A column of a domain holds values of the type under it (its catalog entry's Type and TypMod are that type's)
// and names the domain (column.Domain), so everything that reads it reads the base type, as PostgreSQL's clients
// see it: a RowDescription gives the base type's oid. The domain's constraints are the storage's to enforce, as
// a table's CHECK constraints are (checks.go): the table's validator begins with, for each domain column, a
// clause that matches a NULL when the domain (or one under it) is NOT NULL, and one for each CHECK, VALUE read as
// the column, the domain under it first. Every write, an UPDATE's $inc and a write over the MongoDB port
// included, is checked against them, and a refused write is PostgreSQL's `value for domain d violates check
// constraint "c"` or `domain d does not allow null values`. A cast to a domain (x::d) checks the value in SQL.
// ALTER DOMAIN sets the validators of the tables whose columns have the domain again.

// domainType is a domain as its catalog document holds it.
type domainType struct {
	Name string `bson:"_id"`
	Kind string `bson:"kind"` // "domain": the enum types' documents have none
	OID  uint32 `bson:"oid"`
	// Base and TypMod are the type under the domain, through any domain it is declared over (Parent).
	Base    uint32  `bson:"base"`
	TypMod  int32   `bson:"typmod,omitempty"`
	Parent  string  `bson:"parent,omitempty"`
	NotNull bool    `bson:"notnull,omitempty"`
	Default string  `bson:"default,omitempty"` // SQL text, "" for none
	Checks  []check `bson:"checks,omitempty"`  // in name order, each an expression of VALUE
}

const domainKind = "domain"

// domainsByOID maps the oids of the domains read so far (in any database) to their names, for format_type and
// the catalogs.
var domainsByOID sync.Map

func noteDomainOID(d *domainType) { domainsByOID.Store(d.OID, d.Name) }

// domainName is the name of domain oid, "" when oid is none read so far.
func domainName(oid uint32) string {
	if oid < enumOIDBase {
		return ""
	}
	v, _ := domainsByOID.Load(oid)
	name, _ := v.(string)
	return name
}

// domainNamed is the domain a type name names, nil for none.
func (x *exec) domainNamed(tn *pg.TypeName) (*domainType, error) {
	if tn == nil || len(tn.Names) == 0 {
		return nil, nil
	}
	names := tn.Names
	if len(names) == 2 && names[0].GetString_().GetSval() == "public" {
		names = names[1:]
	}
	if len(names) != 1 {
		return nil, nil
	}
	if _, err := typeFromName(tn); err == nil {
		return nil, nil
	}
	_, domains, err := x.userTypes()
	if err != nil {
		return nil, err
	}
	d := domains[names[0].GetString_().GetSval()]
	if d != nil && len(tn.ArrayBounds) > 0 {
		return nil, unsupported("arrays of domains")
	}
	if d != nil && len(tn.Typmods) > 0 {
		return nil, &Error{Code: CodeSyntaxError, Message: fmt.Sprintf("type modifier is not allowed for type \"%s\"", d.Name), Position: int(tn.Location) + 1}
	}
	return d, nil
}

// domainChain is d and the domains under it, the lowest first: the order PostgreSQL checks their constraints in.
func domainChain(d *domainType, domains map[string]*domainType) []*domainType {
	var chain []*domainType
	for ; d != nil && len(chain) < 100; d = domains[d.Parent] {
		chain = append([]*domainType{d}, chain...)
	}
	return chain
}

// domainDefault is the DEFAULT a column of d takes when it has none of its own: d's, else the one under it's.
func domainDefault(d *domainType, domains map[string]*domainType) string {
	chain := domainChain(d, domains)
	for i := len(chain) - 1; i >= 0; i-- {
		if chain[i].Default != "" {
			return chain[i].Default
		}
	}
	return ""
}

// domainCheck checks v, of d's base type, against d's constraints (a cast to d): 23502 for a NULL a NOT NULL
// domain refuses, 23514 naming the first CHECK that is false.
func (x *exec) domainCheck(d *domainType, v any) error {
	_, domains, err := x.userTypes()
	if err != nil {
		return err
	}
	for _, level := range domainChain(d, domains) {
		if v == nil && level.NotNull {
			return domainNullError(d.Name)
		}
	}
	if v == nil {
		return nil
	}
	for _, level := range domainChain(d, domains) {
		for _, c := range level.Checks {
			n, err := parseExpr(c.Expr)
			if err != nil {
				return err
			}
			res, err := x.eval(n, &scope{cols: []relCol{{name: "value", oid: d.Base, typmod: d.TypMod}}, row: []any{v}})
			if err != nil {
				return err
			}
			if res == false {
				return domainCheckError(d.Name, c.Name)
			}
		}
	}
	return nil
}

func domainNullError(name string) *Error {
	return &Error{Code: CodeNotNullViolation, Message: fmt.Sprintf("domain %s does not allow null values", name), DataType: name}
}

func domainCheckError(name, constraint string) *Error {
	return &Error{Code: CodeCheckViolation, Message: fmt.Sprintf("value for domain %s violates check constraint \"%s\"", name, constraint),
		Constraint: constraint, DataType: name}
}

// domainClause is one clause of a table's validator for a domain column: a NOT NULL (constraint "") or a CHECK.
type domainClause struct {
	column, domain, constraint string
	filter                     bson.D // matches the rows that break it
}

// domainClauses are t's validator clauses for its domain columns, in the order PostgreSQL checks them: column by
// column, each domain's NOT NULL, then its CHECKs from the lowest domain up.
func (x *exec) domainClauses(t *table) ([]domainClause, error) {
	if !t.hasDomain() {
		return nil, nil
	}
	_, domains, err := x.userTypes()
	if err != nil {
		return nil, err
	}
	var out []domainClause
	for _, c := range t.Columns {
		d := domains[c.Domain]
		if d == nil {
			continue
		}
		chain := domainChain(d, domains)
		field := t.field(c.Name)
		if c.Type != OIDJSON && c.Type != OIDJSONB && slices.ContainsFunc(chain, func(l *domainType) bool { return l.NotNull }) {
			out = append(out, domainClause{column: c.Name, domain: d.Name, filter: bson.D{{Key: field, Value: nil}}})
		}
		for _, level := range chain {
			for _, ck := range level.Checks {
				f, err := x.domainViolation(t, c.Name, ck)
				if err != nil {
					return nil, err
				}
				out = append(out, domainClause{column: c.Name, domain: d.Name, constraint: ck.Name, filter: f})
			}
		}
	}
	return out, nil
}

// domainViolation is the query filter matching the rows of t whose column col breaks the domain check ck.
func (x *exec) domainViolation(t *table, col string, ck check) (bson.D, error) {
	n, err := parseExpr(ck.Expr)
	if err != nil {
		return nil, err
	}
	renameValue(n, col)
	text, err := deparseExpr(n)
	if err != nil {
		return nil, err
	}
	return x.violation(t, check{Name: ck.Name, Expr: text})
}

// renameValue makes VALUE in a domain's CHECK expression the column col.
func renameValue(n *pg.Node, col string) {
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if cr, ok := m.Interface().(*pg.ColumnRef); ok && len(cr.Fields) == 1 && cr.Fields[0].GetString_().GetSval() == "value" {
			cr.Fields[0] = pg.MakeStrNode(col)
		}
		return false
	})
}

// hasDomain reports whether a column of t has a domain type.
func (t *table) hasDomain() bool {
	return slices.ContainsFunc(t.Columns, func(c column) bool { return c.Domain != "" })
}

// createDomain runs CREATE DOMAIN.
func (x *exec) createDomain(cd *pg.CreateDomainStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "CREATE DOMAIN"}, nil
	}
	name := cd.Domainname[len(cd.Domainname)-1].GetString_().GetSval()
	if len(cd.Domainname) > 1 && cd.Domainname[0].GetString_().GetSval() != "public" {
		return nil, unsupported("types outside the public schema")
	}
	if _, err := typeFromName(&pg.TypeName{Names: []*pg.Node{pg.MakeStrNode(name)}}); err == nil {
		return nil, errorf(CodeDuplicateObject, "type %q already exists", name)
	}
	enums, domains, err := x.userTypes()
	if err != nil {
		return nil, err
	}
	if _, ok := enums[name]; ok || domains[name] != nil {
		return nil, errorf(CodeDuplicateObject, "type %q already exists", name)
	}
	d := &domainType{Name: name, Kind: domainKind}
	if parent, err := x.domainNamed(cd.TypeName); err != nil {
		return nil, err
	} else if parent != nil {
		d.Base, d.TypMod, d.Parent = parent.Base, parent.TypMod, parent.Name
	} else {
		if d.Base, err = x.resolveType(cd.TypeName); err != nil {
			return nil, err
		}
		if d.TypMod, err = typmodOf(cd.TypeName, d.Base); err != nil {
			return nil, err
		}
	}
	sawNull, sawNotNull := false, false
	for _, n := range cd.Constraints {
		con := n.GetConstraint()
		if con == nil {
			continue
		}
		switch con.Contype {
		case pg.ConstrType_CONSTR_NOTNULL, pg.ConstrType_CONSTR_NULL:
			if con.Contype == pg.ConstrType_CONSTR_NOTNULL {
				sawNotNull = true
			} else {
				sawNull = true
			}
			if sawNull && sawNotNull {
				return nil, &Error{Code: CodeSyntaxError, Message: "conflicting NULL/NOT NULL constraints", Position: int(con.Location) + 1}
			}
			d.NotNull = sawNotNull
		case pg.ConstrType_CONSTR_DEFAULT:
			if d.Default != "" {
				return nil, &Error{Code: CodeSyntaxError, Message: "multiple default expressions", Position: int(con.Location) + 1}
			}
			if d.Default, err = defaultText(con.RawExpr, d.Base); err != nil {
				return nil, err
			}
		case pg.ConstrType_CONSTR_CHECK:
			ck, err := x.domainCheckDef(d, con)
			if err != nil {
				return nil, err
			}
			d.addCheck(ck)
		default:
			return nil, unsupported("this domain constraint")
		}
	}
	d.OID = enumOID(func(oid uint32) bool { return enumOf(oid) != nil || domainName(oid) != "" })
	if err := x.s.db().collection(typesCollection).insertOne(x.catWrite(), d); err != nil {
		if isDuplicateKey(err) {
			return nil, errorf(CodeDuplicateObject, "type %q already exists", name)
		}
		return nil, err
	}
	noteDomainOID(d)
	return &Result{Tag: "CREATE DOMAIN"}, nil
}

// domainCheckDef makes a CHECK constraint of domain d: an expression of VALUE alone, one the storage can enforce,
// named <domain>_check (a number added while taken) unless named.
func (x *exec) domainCheckDef(d *domainType, con *pg.Constraint) (check, error) {
	if con.RawExpr == nil {
		return check{}, errorf(CodeSyntaxError, "CHECK constraint without an expression")
	}
	probe := &table{Name: d.Name, declared: true, Columns: []column{{Name: "value", Type: d.Base, TypMod: d.TypMod}}}
	if _, err := checkExpr(probe, con.RawExpr); err != nil {
		return check{}, err
	}
	text, err := deparseExpr(con.RawExpr)
	if err != nil {
		return check{}, err
	}
	ck := check{Name: con.Conname, Expr: text}
	if ck.Name == "" {
		base := d.Name + "_check"
		ck.Name = base
		for i := 1; d.checkNamed(ck.Name); i++ {
			ck.Name = base + strconv.Itoa(i)
		}
	} else if d.checkNamed(ck.Name) {
		return check{}, errorf(CodeDuplicateObject, "constraint \"%s\" for domain \"%s\" already exists", ck.Name, d.Name)
	}
	if _, err := x.violation(probe, ck); err != nil {
		return check{}, err // one the storage cannot enforce (0A000)
	}
	return ck, nil
}

func (d *domainType) checkNamed(name string) bool {
	return slices.ContainsFunc(d.Checks, func(c check) bool { return c.Name == name })
}

// addCheck adds c to d's checks, in name order: PostgreSQL checks a domain's constraints in that order.
func (d *domainType) addCheck(c check) { d.Checks = withCheck(d.Checks, c) }

// domainUsers are the columns (table, column) and domains that have domain name as their type.
func (x *exec) domainUsers(name string) (cols [][2]string, over []string, err error) {
	tables, _, err := x.declaredTables()
	if err != nil {
		return nil, nil, err
	}
	for _, t := range tables {
		for _, c := range t.Columns {
			if c.Domain == name {
				cols = append(cols, [2]string{t.Name, c.Name})
			}
		}
	}
	_, domains, err := x.userTypes()
	if err != nil {
		return nil, nil, err
	}
	for _, d := range domains {
		if d.Parent == name {
			over = append(over, d.Name)
		}
	}
	slices.Sort(over)
	return cols, over, nil
}

// checkDomainDrop checks that DROP DOMAIN (or DROP TYPE) ds may drop domain name: a domain a column or another domain
// has is 2BP01 (CASCADE, which would drop the columns, is refused).
func (x *exec) checkDomainDrop(name string, ds *pg.DropStmt) error {
	cols, over, err := x.domainUsers(name)
	if err != nil {
		return err
	}
	fns, err := x.functionsUsing(name)
	if err != nil {
		return err
	}
	if len(cols) == 0 && len(over) == 0 && len(fns) == 0 {
		return nil
	}
	if ds.Behavior == pg.DropBehavior_DROP_CASCADE {
		return unsupported("DROP DOMAIN ... CASCADE (it would drop the columns of the domain)")
	}
	var lines []string // each object that depends on it, as PostgreSQL lists them
	for _, c := range cols {
		lines = append(lines, fmt.Sprintf("column %s of table %s depends on type %s", c[1], c[0], name))
	}
	for _, o := range over {
		lines = append(lines, fmt.Sprintf("type %s depends on type %s", o, name))
	}
	for _, f := range fns {
		lines = append(lines, fmt.Sprintf("function %s depends on type %s", strings.ReplaceAll(f, ",", ", "), name))
	}
	detail := strings.Join(lines, "\n")
	msg := fmt.Sprintf("cannot drop type %s because other objects depend on it", name)
	if len(ds.Objects) > 1 {
		msg = "cannot drop desired object(s) because other objects depend on them"
	}
	return &Error{Code: CodeDependentObjectsStillExist, Message: msg, Detail: detail, Hint: "Use DROP ... CASCADE to drop the dependent objects too."}
}

// alterDomain runs ALTER DOMAIN: ADD CONSTRAINT CHECK [NOT VALID], DROP CONSTRAINT [IF EXISTS], SET / DROP NOT
// NULL and SET / DROP DEFAULT. A new CHECK or NOT NULL is first checked against the rows of every column of the
// domain; the tables' validators are then set again.
func (x *exec) alterDomain(ad *pg.AlterDomainStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "ALTER DOMAIN"}, nil
	}
	tn := &pg.TypeName{Names: ad.TypeName}
	d, err := x.domainNamed(tn)
	if err != nil {
		return nil, err
	}
	name := ad.TypeName[len(ad.TypeName)-1].GetString_().GetSval()
	if d == nil {
		if enums, _, _ := x.userTypes(); enums[name] != nil {
			return nil, errorf(CodeWrongObjectType, "%s is not a domain", name)
		}
		return nil, errorf(CodeUndefinedObject, "type \"%s\" does not exist", name)
	}
	nd := *d
	nd.Checks = slices.Clone(d.Checks)
	var verify *check
	verifyNull := false
	switch ad.Subtype {
	case "T": // SET DEFAULT / DROP DEFAULT
		nd.Default = ""
		if ad.Def != nil {
			if nd.Default, err = defaultText(ad.Def, d.Base); err != nil {
				return nil, err
			}
		}
	case "N":
		nd.NotNull = false
	case "O":
		nd.NotNull, verifyNull = true, !d.NotNull
	case "C":
		con := ad.Def.GetConstraint()
		if con == nil || con.Contype != pg.ConstrType_CONSTR_CHECK {
			return nil, unsupported("this domain constraint")
		}
		ck, err := x.domainCheckDef(&nd, con)
		if err != nil {
			return nil, err
		}
		nd.addCheck(ck)
		if !con.SkipValidation {
			verify = &ck
		}
	case "X":
		i := slices.IndexFunc(nd.Checks, func(c check) bool { return c.Name == ad.Name })
		if i < 0 {
			if ad.MissingOk {
				x.warn(&Error{Code: CodeUndefinedObject, Severity: "NOTICE", Message: fmt.Sprintf("constraint \"%s\" of domain \"%s\" does not exist, skipping", ad.Name, name)})
				return &Result{Tag: "ALTER DOMAIN"}, nil
			}
			return nil, errorf(CodeUndefinedObject, "constraint \"%s\" of domain \"%s\" does not exist", ad.Name, name)
		}
		nd.Checks = slices.Delete(nd.Checks, i, i+1)
	default:
		return nil, unsupported("this ALTER DOMAIN")
	}
	users, err := x.domainColumns(name)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		t, col := u.t, u.col
		if verifyNull {
			if _, err := x.s.db().collection(t.Name).findOne(x.ctx, bson.D{{Key: t.field(col), Value: nil}}); err == nil {
				return nil, &Error{Code: CodeNotNullViolation, Message: fmt.Sprintf("column \"%s\" of table \"%s\" contains null values", col, t.Name), Table: t.Name, Column: col}
			} else if !isNoDocuments(err) {
				return nil, err
			}
		}
		if verify != nil {
			f, err := x.domainViolation(t, col, *verify)
			if err != nil {
				return nil, err
			}
			if _, err := x.s.db().collection(t.Name).findOne(x.ctx, f); err == nil {
				return nil, &Error{Code: CodeCheckViolation, Message: fmt.Sprintf("column \"%s\" of table \"%s\" contains values that violate the new constraint", col, t.Name),
					Table: t.Name, Column: col}
			} else if !isNoDocuments(err) {
				return nil, err
			}
		}
	}
	if err := x.s.db().collection(typesCollection).replaceOne(x.catWrite(), bson.D{{Key: "_id", Value: name}}, &nd); err != nil {
		return nil, err
	}
	x.s.e.enums.forget()
	seen := map[string]bool{}
	for _, u := range users {
		if seen[u.t.Name] {
			continue
		}
		seen[u.t.Name] = true
		if err := x.installRanges(u.t); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: "ALTER DOMAIN"}, nil
}

// domainColumn is a column whose type is a domain, or a domain over it.
type domainColumn struct {
	t   *table
	col string
}

// domainColumns are the columns of domain name and of the domains over it.
func (x *exec) domainColumns(name string) ([]domainColumn, error) {
	_, domains, err := x.userTypes()
	if err != nil {
		return nil, err
	}
	tables, _, err := x.declaredTables()
	if err != nil {
		return nil, err
	}
	var out []domainColumn
	for _, t := range tables {
		for _, c := range t.Columns {
			if slices.ContainsFunc(domainChain(domains[c.Domain], domains), func(l *domainType) bool { return l.Name == name }) {
				out = append(out, domainColumn{t, c.Name})
			}
		}
	}
	return out, nil
}

// castDomain is x::d: x cast to the type under d, then checked against d's constraints.
func (x *exec) castDomain(tc *pg.TypeCast, d *domainType, sc *scope) (any, error) {
	tn := &pg.TypeName{Names: []*pg.Node{pg.MakeStrNode(internalName(d.Base))}, Location: tc.TypeName.Location}
	if elem := types[d.Base].elem; elem != 0 {
		tn.Names[0] = pg.MakeStrNode(internalName(elem))
		tn.ArrayBounds = []*pg.Node{pg.MakeIntNode(-1)}
	}
	base := &pg.TypeCast{Arg: tc.Arg, TypeName: tn, Location: tc.Location}
	v, err := x.eval(&pg.Node{Node: &pg.Node_TypeCast{TypeCast: base}}, sc)
	if err != nil {
		return nil, err
	}
	if v, err = applyTypmod(v, d.Base, d.TypMod, true); err != nil {
		return nil, err
	}
	return v, x.domainCheck(d, v)
}

// checkDomainColumn checks the value an INSERT or an UPDATE's SET gives column c of a domain before it is
// written, as PostgreSQL checks it when it converts the value (before a unique index sees the row): sv is the
// stored value, nil for NULL. The table's validator checks every write again.
func (x *exec) checkDomainColumn(c *column, sv any) error {
	_, domains, err := x.userTypes()
	if err != nil {
		return err
	}
	d := domains[c.Domain]
	if d == nil {
		return nil
	}
	var v any
	if sv != nil {
		raw, err := bson.Marshal(bson.D{{Key: "v", Value: sv}})
		if err != nil {
			return err
		}
		v = cellValue(raw, relCol{name: "v", field: "v", oid: c.Type, typmod: c.TypMod})
	}
	return x.domainCheck(d, v)
}

// domainOID is the oid of domain name, 0 for "" or none.
func (x *exec) domainOID(name string) uint32 {
	if name == "" {
		return 0
	}
	if _, domains, err := x.userTypes(); err == nil && domains[name] != nil {
		return domains[name].OID
	}
	return 0
}

// domainSchema and domainCatalog are information_schema.columns' domain_schema and domain_catalog of a column
// whose domain_name is domain: NULL for a column of no domain.
func domainSchema(domain any) any {
	if domain == nil {
		return nil
	}
	return "public"
}

func domainCatalog(domain any, database string) any {
	if domain == nil {
		return nil
	}
	return database
}

// domainCheckText is a domain's CHECK expression as PostgreSQL shows it, VALUE in capitals.
func domainCheckText(expr string) string {
	n, err := parseExpr(expr)
	if err != nil {
		return expr
	}
	const mark = "concord_domain_value"
	renameValue(n, mark)
	text, err := deparseExpr(n)
	if err != nil {
		return expr
	}
	return strings.ReplaceAll(text, mark, "VALUE")
}

// toDomain is v (of the domain's base type) as a value of domain name: fitted to its type's modifier and checked
// against its constraints, as a cast to it is.
func (x *exec) toDomain(name string, v any) (any, error) {
	_, domains, err := x.userTypes()
	if err != nil {
		return nil, err
	}
	d := domains[name]
	if d == nil {
		return v, nil // dropped meanwhile: the value as it is
	}
	if v != nil {
		if v, err = coerce(v, d.Base); err != nil {
			return nil, err
		}
		if v, err = applyTypmod(v, d.Base, d.TypMod, true); err != nil {
			return nil, err
		}
	}
	return v, x.domainCheck(d, v)
}
