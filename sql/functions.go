package sql

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Functions written in SQL: CREATE [OR REPLACE] FUNCTION name(args) RETURNS type LANGUAGE sql AS 'query' (or the
// SQL-standard body, RETURN expr or BEGIN ATOMIC query; END), and DROP FUNCTION. A function is a document of its
// database's system.sql_functions: its name, its parameters (names, types, defaults), what it returns and its body.
// A call evaluates the body as a query whose parameters are the arguments, by position ($1) and by name (a, or
// f.a): a scalar function gives the first column of the first row (NULL for none), a set-returning one (RETURNS
// SETOF t, RETURNS TABLE (...)) its rows, in FROM. The body is checked when the function is made, as PostgreSQL
// checks it (check_function_bodies): a table it reads must exist. A body of several statements, or of statements
// that write, and procedures (CREATE PROCEDURE, CALL) run their statements in order (sqlroutines.go); functions in
// PL/pgSQL are plpgsql.go's. Parameters are IN, OUT, INOUT or VARIADIC.

// functionsCollection holds, in each database, one document per function.
const functionsCollection = "system.sql_functions"

// maxFunctionDepth bounds calls of functions inside one another (a function that calls itself).
const maxFunctionDepth = 100

// userFunc is a function as its catalog document holds it.
type userFunc struct {
	ID       string   `bson:"_id"` // name(argument types), PostgreSQL's identity of a function
	Name     string   `bson:"name"`
	OID      uint32   `bson:"oid"`
	ArgNames []string `bson:"argnames"`
	ArgTypes []uint32 `bson:"argtypes"`
	Defaults []string `bson:"defaults,omitempty"` // a parameter's DEFAULT as SQL text, "" for none
	Returns  uint32   `bson:"returns"`
	// ArgDomains and RetDomain name the domains among the parameters' and the result's types ("" for none): a
	// value is held to the domain's constraints (and its type's modifier) as it passes.
	ArgDomains []string `bson:"argdomains,omitempty"`
	RetDomain  string   `bson:"retdomain,omitempty"`
	// ArgTables name the tables whose row type a parameter is ("" for none): its value is one of the table's rows.
	ArgTables []string `bson:"argtables,omitempty"`
	SetOf     bool     `bson:"setof,omitempty"`
	OutNames  []string `bson:"outnames,omitempty"` // RETURNS TABLE's columns
	OutTypes  []uint32 `bson:"outtypes,omitempty"`
	Body      string   `bson:"body"` // a query, or a PL/pgSQL block
	// Language is "plpgsql" for a function written in PL/pgSQL, "" for one in SQL.
	Language string `bson:"language,omitempty"`
	// OutParams is set for a function whose OutNames are OUT parameters (one row of them, a record or, for one,
	// its value) rather than RETURNS TABLE's columns (a set).
	OutParams bool `bson:"outparams,omitempty"`
	// Procedure is set for CREATE PROCEDURE: the routine CALL runs (pg_proc.prokind p), which returns nothing.
	Procedure bool `bson:"procedure,omitempty"`
	// RetTable names the table (or view) whose row type the function returns (RETURNS [SETOF] t): OutNames and
	// OutTypes are its columns, as the catalog has them when the function is read.
	RetTable string `bson:"rettable,omitempty"`
	// Modes are the parameters' modes in the order they were declared, as pg_proc.proargmodes writes them: i (IN),
	// o (OUT), b (INOUT), v (VARIADIC); empty when every parameter is IN. ArgNames and ArgTypes are the
	// parameters a call passes (IN, INOUT and VARIADIC, and a procedure's OUT ones too), OutNames and OutTypes the
	// OUT and INOUT ones, each in the declared order.
	Modes  string `bson:"modes,omitempty"`
	Strict bool   `bson:"strict,omitempty"`
	// Volatility is PostgreSQL's provolatile: i, s or v (the default).
	Volatility string `bson:"volatility"`
}

// inMode is the mode of the function's input parameter i (ArgTypes[i]): 'i', 'b', 'v' or a procedure's 'o'.
func (fn *userFunc) inMode(i int) byte {
	for _, m := range []byte(fn.Modes) {
		if m == 'o' && !fn.Procedure {
			continue
		}
		if i == 0 {
			return m
		}
		i--
	}
	return 'i'
}

// outIsInOut reports whether the function's output parameter j (OutNames[j]) is an INOUT one.
func (fn *userFunc) outIsInOut(j int) bool {
	for _, m := range []byte(fn.Modes) {
		if m != 'o' && m != 'b' {
			continue
		}
		if j == 0 {
			return m == 'b'
		}
		j--
	}
	return false
}

// callArgType is the type argument i of call f takes: its parameter's, or the VARIADIC parameter's element type
// for each argument it gathers.
func (fn *userFunc) callArgType(i int, f *pg.FuncCall) uint32 {
	last := len(fn.ArgTypes) - 1
	if i >= last && fn.variadic() && !f.FuncVariadic {
		return types[fn.ArgTypes[last]].elem
	}
	if i > last {
		return 0
	}
	return fn.ArgTypes[i]
}

// variadic reports whether the function's last input parameter is VARIADIC.
func (fn *userFunc) variadic() bool {
	m := fn.Modes
	if !fn.Procedure {
		m = strings.TrimRight(m, "o") // a function's OUT parameters are not inputs
	}
	return strings.HasSuffix(m, "v")
}

// resultRelation is a call's relation before its rows: the OUT parameters' or RETURNS TABLE's (or the table's)
// columns, or one column named as the function.
func (fn *userFunc) resultRelation() *relation {
	rel := &relation{}
	if len(fn.OutNames) > 0 {
		for i, n := range fn.OutNames {
			rel.cols = append(rel.cols, relCol{name: n, oid: fn.OutTypes[i]})
		}
	} else {
		rel.cols = []relCol{{name: fn.Name, oid: fn.Returns}}
	}
	return rel
}

// resultName is the function's result type as PostgreSQL's messages name it.
func (fn *userFunc) resultName() string {
	if fn.RetTable != "" {
		return fn.RetTable
	}
	return TypeName(fn.Returns)
}

// declared are the function's parameters in the order they were declared, each as mode, name and type's name
// (its domain's): pg_get_function_arguments's items.
func (fn *userFunc) declared(qual string) []string {
	var out []string
	in, outj := 0, 0
	modes := fn.Modes
	if modes == "" {
		modes = strings.Repeat("i", len(fn.ArgTypes))
	}
	for _, m := range []byte(modes) {
		var p string
		switch {
		case m == 'o' && !fn.Procedure:
			p = "OUT " + quoteIdent(fn.OutNames[outj]) + " " + TypeName(fn.OutTypes[outj])
			outj++
			out = append(out, p)
			continue
		case m == 'o' || m == 'b':
			outj++
		}
		p = fn.argTypeName(in)
		if in < len(fn.ArgTables) && fn.ArgTables[in] != "" {
			p = qual + quoteIdent(fn.ArgTables[in])
		}
		if fn.ArgNames[in] != "" {
			p = quoteIdent(fn.ArgNames[in]) + " " + p
		}
		switch {
		case m == 'o':
			p = "OUT " + p
		case m == 'b':
			p = "INOUT " + p
		case m == 'v':
			p = "VARIADIC " + p
		case fn.Procedure:
			p = "IN " + p // a procedure's modes are written out
		}
		out = append(out, p)
		in++
	}
	return out
}

// functionID is PostgreSQL's identity of a function: its name and its parameters' types.
func (fn *userFunc) functionID() string {
	names := make([]string, len(fn.ArgTypes))
	for i := range fn.ArgTypes {
		names[i] = fn.argTypeName(i)
	}
	return fn.Name + "(" + strings.Join(names, ",") + ")"
}

// returnsSet reports whether a call gives a set of rows: RETURNS SETOF, RETURNS TABLE.
func (fn *userFunc) returnsSet() bool {
	return fn.SetOf || len(fn.OutNames) > 0 && !fn.OutParams && fn.RetTable == ""
}

// returnsRecord reports whether a call gives one row of several columns: OUT parameters', or a table's row.
func (fn *userFunc) returnsRecord() bool {
	return !fn.SetOf && (fn.OutParams && len(fn.OutNames) > 1 || fn.RetTable != "")
}

// compositeColumns are the fields of the record expression e gives, for (e).*: a call of a function returning
// records (jsonb_each's, OUT parameters', a table's row) or a row cast to a table's type; nil for none of these.
func (x *exec) compositeColumns(e *pg.Node) []relCol {
	if f := e.GetFuncCall(); f != nil {
		if cols := jsonSets[funcName(f)].cols; len(cols) > 1 {
			return cols
		}
		if fn := x.userFunction(f); fn != nil && fn.returnsRecord() {
			return fn.resultRelation().cols
		}
		return nil
	}
	if tc := e.GetTypeCast(); tc != nil {
		if t := x.rowTypeTable(tc.TypeName); t != nil {
			var cols []relCol
			for _, c := range t.Columns {
				cols = append(cols, relCol{name: c.Name, oid: c.Type})
			}
			return cols
		}
	}
	return nil
}

// rowTypeTable is the declared table or view a type name names as its row type, nil for none.
func (x *exec) rowTypeTable(tn *pg.TypeName) *table {
	names := tn.GetNames()
	if len(names) == 2 && names[0].GetString_().GetSval() == "public" {
		names = names[1:]
	}
	if len(names) != 1 || len(tn.ArrayBounds) > 0 || tn.PctType {
		return nil
	}
	t, err := x.lookupTable(names[0].GetString_().GetSval(), 0)
	if err != nil || !t.declared {
		return nil
	}
	return t
}

// setRowColumns makes the function's result columns table t's.
func (fn *userFunc) setRowColumns(t *table) {
	fn.OutNames, fn.OutTypes = nil, nil
	for _, c := range t.Columns {
		fn.OutNames, fn.OutTypes = append(fn.OutNames, c.Name), append(fn.OutTypes, c.Type)
	}
}

// signature is the function's name and parameters' types as PostgreSQL's messages write them: f(integer, text).
func (fn *userFunc) signature() string {
	names := make([]string, len(fn.ArgTypes))
	for i := range fn.ArgTypes {
		names[i] = fn.argTypeName(i)
	}
	return fn.Name + "(" + strings.Join(names, ", ") + ")"
}

// argTypeName is the name of parameter i's type: its domain's, when it has one.
func (fn *userFunc) argTypeName(i int) string {
	if fn.ArgDomains != nil && fn.ArgDomains[i] != "" {
		return fn.ArgDomains[i]
	}
	if i < len(fn.ArgTables) && fn.ArgTables[i] != "" {
		return fn.ArgTables[i]
	}
	return TypeName(fn.ArgTypes[i])
}

// funcCache keeps each database's functions for as long as the catalog generation stays the one they were read
// at, as enumCache does for types.
type funcCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]map[string][]*userFunc // database → name → functions
}

// userFunctions are the functions of the session's database by name: the Engine's cached copy while the catalog
// is unchanged, else read (once for a statement).
func (x *exec) userFunctions() (map[string][]*userFunc, error) {
	if x.funcs != nil {
		return x.funcs, nil
	}
	gen, cacheable := x.s.e.b.catalogGeneration()
	cacheable = cacheable && !x.blockChanged() // the block's catalog is its own
	c := &x.s.e.funcs
	if cacheable {
		c.mu.Lock()
		m, ok := c.m[x.s.database]
		ok = ok && c.gen == gen
		c.mu.Unlock()
		if ok {
			x.funcs = m
			return m, nil
		}
	}
	docs, err := x.s.db().collection(functionsCollection).find(x.catRead(), bson.D{}, nil, 0)
	if err != nil {
		return nil, err
	}
	m := map[string][]*userFunc{}
	for _, d := range docs {
		f := &userFunc{}
		if err := bson.Unmarshal(d, f); err == nil {
			if f.RetTable != "" {
				if t, err := x.lookupTable(f.RetTable, 0); err == nil {
					f.setRowColumns(t) // the table's columns now
				}
			}
			m[f.Name] = append(m[f.Name], f)
		}
	}
	if cacheable {
		c.mu.Lock()
		if gen > c.gen || c.m == nil {
			c.gen, c.m = gen, map[string]map[string][]*userFunc{}
		}
		if gen == c.gen {
			c.m[x.s.database] = m
		}
		c.mu.Unlock()
	}
	x.funcs = m
	return m, nil
}

// userFunction is the function a call of name with n arguments calls, nil for none: one whose parameters, but
// for those with defaults, take n arguments.
func (x *exec) userFunction(f *pg.FuncCall) *userFunc {
	if len(f.Funcname) > 1 && f.Funcname[0].GetString_().GetSval() != "public" || f.AggStar || f.Over != nil {
		return nil
	}
	fns, err := x.userFunctions()
	if err != nil {
		return nil
	}
	n := len(f.Args)
	for _, fn := range fns[funcName(f)] {
		required := len(fn.ArgTypes)
		for required > 0 && fn.Defaults != nil && fn.Defaults[required-1] != "" {
			required--
		}
		if fn.variadic() && !f.FuncVariadic {
			if namesParam(f, fn.ArgNames[len(fn.ArgTypes)-1]) {
				continue // a VARIADIC parameter is named only with VARIADIC: f(VARIADIC xs => array)
			}
			// The VARIADIC parameter takes the call's last arguments, at least one.
			if n >= len(fn.ArgTypes) || n >= required && n < len(fn.ArgTypes) && fn.Defaults != nil {
				return fn
			}
			continue
		}
		if n >= required && n <= len(fn.ArgTypes) {
			return fn
		}
	}
	return nil
}

// namesParam reports whether call f passes an argument by the name param (name => value).
func namesParam(f *pg.FuncCall, param string) bool {
	for _, a := range f.Args {
		if na := a.GetNamedArgExpr(); na != nil && param != "" && na.Name == param {
			return true
		}
	}
	return false
}

// createFunction runs CREATE [OR REPLACE] FUNCTION.
func (x *exec) createFunction(cf *pg.CreateFunctionStmt) (*Result, error) {
	if len(cf.Funcname) > 1 && cf.Funcname[0].GetString_().GetSval() != "public" {
		return nil, unsupported("functions outside the public schema")
	}
	fn := &userFunc{Name: cf.Funcname[len(cf.Funcname)-1].GetString_().GetSval(), Volatility: "v"}
	lang, body := "sql", ""
	for _, o := range cf.Options {
		d := o.GetDefElem()
		switch d.Defname {
		case "language":
			lang = strings.ToLower(d.Arg.GetString_().GetSval())
		case "as":
			if items := d.Arg.GetList().GetItems(); len(items) == 1 {
				body = items[0].GetString_().GetSval()
			} else {
				return nil, unsupported("a function given as an object file")
			}
		case "volatility":
			fn.Volatility = d.Arg.GetString_().GetSval()[:1]
		case "strict":
			fn.Strict = d.Arg.GetBoolean().GetBoolval()
		}
	}
	if lang != "sql" && lang != "plpgsql" {
		if lang == "c" || lang == "internal" {
			return nil, &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("Concord runs functions written in SQL and PL/pgSQL, not in %s", lang),
				Hint: "Write the function in LANGUAGE sql or plpgsql."}
		}
		return nil, errorf(CodeUndefinedObject, "language \"%s\" does not exist", lang)
	}
	if lang == "plpgsql" {
		fn.Language = lang
	}
	hasDomain := false
	var modes []byte
	for _, p := range cf.Parameters {
		fp := p.GetFunctionParameter()
		oid, err := x.resolveType(fp.ArgType)
		rowTable := ""
		if t := x.rowTypeTable(fp.ArgType); err != nil && t != nil && fp.Mode != pg.FunctionParameterMode_FUNC_PARAM_TABLE {
			oid, err, rowTable = OIDRecord, nil, t.Name // a table's row
		}
		if err != nil {
			return nil, err
		}
		dom, err := x.domainNamed(fp.ArgType)
		if err != nil {
			return nil, err
		}
		switch fp.Mode {
		case pg.FunctionParameterMode_FUNC_PARAM_TABLE:
			fn.OutNames, fn.OutTypes = append(fn.OutNames, fp.Name), append(fn.OutTypes, oid)
			continue
		case pg.FunctionParameterMode_FUNC_PARAM_OUT, pg.FunctionParameterMode_FUNC_PARAM_INOUT:
			if fp.Name == "" {
				return nil, unsupported("an OUT or INOUT parameter without a name")
			}
			fn.OutNames, fn.OutTypes, fn.OutParams = append(fn.OutNames, fp.Name), append(fn.OutTypes, oid), true
			if fp.Mode == pg.FunctionParameterMode_FUNC_PARAM_OUT {
				modes = append(modes, 'o')
				if !cf.IsProcedure {
					continue
				}
			} else {
				modes = append(modes, 'b')
			}
		case pg.FunctionParameterMode_FUNC_PARAM_VARIADIC:
			if !isArrayType(oid) {
				return nil, errorf(CodeInvalidFunctionDefinition, "VARIADIC parameter must be an array")
			}
			modes = append(modes, 'v')
		default:
			modes = append(modes, 'i')
		}
		if m := modes[len(modes)-1]; m != 'o' && slices.Contains(modes[:len(modes)-1], 'v') {
			return nil, errorf(CodeInvalidFunctionDefinition, "VARIADIC parameter must be the last input parameter")
		}
		def := ""
		if fp.Defexpr != nil {
			text, err := deparseExpr(fp.Defexpr)
			if err != nil {
				return nil, err
			}
			def = text
		} else if slices.ContainsFunc(fn.Defaults, func(d string) bool { return d != "" }) {
			return nil, errorf("42P13", "input parameters after one with a default value must also have defaults")
		}
		fn.ArgNames, fn.ArgTypes, fn.Defaults = append(fn.ArgNames, fp.Name), append(fn.ArgTypes, oid), append(fn.Defaults, def)
		name := ""
		if dom != nil {
			name, hasDomain = dom.Name, true
		}
		fn.ArgDomains = append(fn.ArgDomains, name)
		fn.ArgTables = append(fn.ArgTables, rowTable)
	}
	if !slices.ContainsFunc(fn.ArgTables, func(t string) bool { return t != "" }) {
		fn.ArgTables = nil
	}
	if !hasDomain {
		fn.ArgDomains = nil
	}
	if strings.Trim(string(modes), "i") != "" {
		fn.Modes = string(modes)
	}
	if !slices.ContainsFunc(fn.Defaults, func(d string) bool { return d != "" }) {
		fn.Defaults = nil
	}
	if cf.IsProcedure {
		cf.ReturnType = &pg.TypeName{Names: []*pg.Node{pg.MakeStrNode("void")}}
		fn.Procedure = true
	}
	if fn.OutParams && !fn.Procedure {
		// The result is the OUT parameters': a record of them, or the one's type.
		want := OIDRecord
		if len(fn.OutTypes) == 1 {
			want = fn.OutTypes[0]
		}
		if cf.ReturnType != nil {
			oid, err := x.resolveType(cf.ReturnType)
			if err != nil {
				return nil, err
			}
			if oid != want || cf.ReturnType.Setof {
				return nil, errorf(CodeInvalidFunctionDefinition, "function result type must be %s because of OUT parameters", TypeName(want))
			}
		}
		cf.ReturnType = &pg.TypeName{Names: []*pg.Node{pg.MakeStrNode(internalName(want))}}
		fn.Returns = want
	}
	if cf.ReturnType == nil {
		return nil, errorf("42P13", "function result type must be specified")
	}
	fn.SetOf = cf.ReturnType.Setof
	switch {
	case fn.OutParams && !fn.Procedure: // fn.Returns is set above
	case len(fn.OutNames) == 0:
		oid, err := x.resolveType(cf.ReturnType)
		if t := x.rowTypeTable(cf.ReturnType); err != nil && t != nil {
			// A table's (or view's) row type: its rows, or one of them.
			fn.RetTable, fn.Returns = t.Name, OIDRecord
			fn.setRowColumns(t)
			break
		}
		if err != nil {
			return nil, err
		}
		fn.Returns = oid
		if dom, err := x.domainNamed(cf.ReturnType); err != nil {
			return nil, err
		} else if dom != nil {
			fn.RetDomain = dom.Name
		}
	default:
		fn.Returns = OIDRecord
	}
	if fn.Returns == OIDTrigger && lang != "plpgsql" {
		return nil, errorf(CodeInvalidFunctionDefinition, "SQL functions cannot return type trigger")
	}
	switch {
	case cf.SqlBody != nil && cf.SqlBody.GetReturnStmt() != nil:
		text, err := deparseExpr(cf.SqlBody.GetReturnStmt().Returnval)
		if err != nil {
			return nil, err
		}
		body = "SELECT " + text
	case cf.SqlBody != nil:
		stmts := cf.SqlBody.GetList().GetItems()
		if len(stmts) == 1 && stmts[0].GetList() != nil {
			stmts = stmts[0].GetList().GetItems()
		}
		texts := make([]string, 0, len(stmts))
		for _, st := range stmts {
			text, err := deparseQuery(st)
			if err != nil {
				return nil, err
			}
			texts = append(texts, text)
		}
		body = strings.Join(texts, "; ")
	}
	var sel *pg.SelectStmt
	if fn.Language == "plpgsql" {
		if err := x.checkPL(fn, body); err != nil {
			return nil, err
		}
	} else {
		var err error
		var stmts []*statement
		sel, stmts, err = x.sqlBody(fn, body)
		if err == nil && sel == nil {
			err = x.checkFinal(fn, stmts)
		}
		if err != nil {
			if e, ok := err.(*Error); ok && e.Code == CodeInvalidFunctionDefinition {
				e.Where = fmt.Sprintf("SQL function \"%s\"", fn.Name)
			}
			return nil, x.inBody(err, body)
		}
	}
	fn.Body = body
	fn.ID = fn.functionID()
	if x.describe {
		return &Result{Tag: createTag(fn)}, nil
	}
	// The body is checked as PostgreSQL checks it: planned with its parameters typed, reading no row; not when
	// check_function_bodies is off, as pg_dump's scripts set it (a function may come before the tables it reads).
	if v, set := x.s.params.vals["check_function_bodies"]; sel != nil && (!set || !isOff(v)) {
		y := x.functionExec(fn, make([]any, len(fn.ArgTypes)))
		y.describe = true
		if _, err := y.selectRows(sel, functionScope(fn, make([]any, len(fn.ArgTypes))), -1); err != nil {
			return nil, x.inBody(err, body)
		}
	}
	fns, err := x.userFunctions()
	if err != nil {
		return nil, err
	}
	coll := x.s.db().collection(functionsCollection)
	for _, old := range fns[fn.Name] {
		if old.ID != fn.ID {
			continue
		}
		if !cf.Replace {
			return nil, errorf(CodeDuplicateFunction, "function \"%s\" already exists with same argument types", fn.Name)
		}
		if old.Returns != fn.Returns || old.SetOf != fn.SetOf {
			return nil, &Error{Code: CodeInvalidFunctionDefinition, Message: "cannot change return type of existing function",
				Hint: fmt.Sprintf("Use DROP FUNCTION %s first.", fn.ID)}
		}
		fn.OID = old.OID
		if err := coll.replaceOne(x.catWrite(), bson.D{{Key: "_id", Value: fn.ID}}, fn); err != nil {
			return nil, err
		}
		x.funcs = nil
		return &Result{Tag: createTag(fn)}, nil
	}
	fn.OID = enumOID(func(oid uint32) bool { return enumOf(oid) != nil || domainName(oid) != "" })
	if err := coll.insertOne(x.catWrite(), fn); err != nil {
		if isDuplicateKey(err) {
			return nil, errorf(CodeDuplicateFunction, "function \"%s\" already exists with same argument types", fn.Name)
		}
		return nil, err
	}
	x.funcs = nil
	return &Result{Tag: createTag(fn)}, nil
}

// createTag is CREATE FUNCTION's command tag, or CREATE PROCEDURE's.
func createTag(fn *userFunc) string {
	if fn.Procedure {
		return "CREATE PROCEDURE"
	}
	return "CREATE FUNCTION"
}

// Function errors: PostgreSQL's duplicate_function and invalid_function_definition.
const (
	CodeDuplicateFunction         = "42723"
	CodeInvalidFunctionDefinition = "42P13"
)

// functionExec is the exec a call of fn runs its body in: the arguments as its parameters, none of the caller's
// WITH queries or subquery results.
func (x *exec) functionExec(fn *userFunc, args []any) *exec {
	y := *x
	y.params, y.paramTypes, y.paramOIDs = args, fn.ArgTypes, nil
	y.ctes, y.subResults, y.subRuns = nil, nil, nil
	y.funcDepth++
	return &y
}

// functionScope is what a function's body sees of its parameters: each by name, and qualified with the
// function's name.
func functionScope(fn *userFunc, args []any) *scope {
	sc := &scope{row: args}
	for i, n := range fn.ArgNames {
		sc.cols = append(sc.cols, relCol{qual: fn.Name, name: n, oid: fn.ArgTypes[i]})
	}
	return sc
}

// functionArgs evaluates a call's arguments, the defaults of those it leaves out, each converted to its
// parameter's type.
func (x *exec) functionArgs(fn *userFunc, f *pg.FuncCall, sc *scope, given []any) ([]any, error) {
	args := make([]any, len(fn.ArgTypes))
	last := len(fn.ArgTypes) - 1
	for i := range fn.ArgTypes {
		var v any
		var err error
		switch {
		case i == last && fn.variadic() && !f.FuncVariadic && i < len(f.Args):
			// The call's arguments from here on, as one array.
			arr := make([]any, 0, len(f.Args)-i)
			for j := i; j < len(f.Args); j++ {
				var e any
				if given != nil {
					e = given[j]
				} else if e, err = x.eval(f.Args[j], sc); err != nil {
					return nil, err
				}
				arr = append(arr, e)
			}
			v = arr
		case i < len(f.Args) && given != nil:
			v = given[i]
		case i < len(f.Args):
			v, err = x.eval(f.Args[i], sc)
		case fn.Defaults != nil && fn.Defaults[i] != "":
			var n *pg.Node
			if n, err = parseExpr(fn.Defaults[i]); err == nil {
				v, err = x.eval(n, &scope{})
			}
		}
		if err != nil {
			return nil, err
		}
		if v != nil {
			if v, err = coerce(v, fn.ArgTypes[i]); err != nil {
				return nil, err
			}
		}
		if fn.ArgDomains != nil && fn.ArgDomains[i] != "" {
			if v, err = x.toDomain(fn.ArgDomains[i], v); err != nil {
				return nil, err
			}
		}
		args[i] = v
	}
	return args, nil
}

// callFunction runs fn's body for a call: its rows. given are the call's arguments when the caller has
// evaluated them already (nil: they are evaluated here), so that none is evaluated twice.
func (x *exec) callFunction(fn *userFunc, f *pg.FuncCall, sc *scope, given []any) (*relation, bool, error) {
	if x.funcDepth >= maxFunctionDepth {
		return nil, false, errorf("54001", "stack depth limit exceeded")
	}
	args, err := x.functionArgs(fn, f, sc, given)
	if err != nil {
		return nil, false, err
	}
	if fn.Strict && slices.Contains(args, nil) {
		return nil, true, nil // STRICT: a NULL argument is a NULL result, the body not run
	}
	if fn.Returns == OIDTrigger {
		return nil, false, errorf(CodeFeatureNotSupported, "trigger functions can only be called as triggers")
	}
	if fn.Procedure {
		types := make([]string, len(f.Args))
		for i, a := range f.Args {
			types[i] = TypeName(x.typeOf(a, sc)) // the call's, as PostgreSQL names it
		}
		return nil, false, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("%s(%s) is a procedure", fn.Name, strings.Join(types, ", ")),
			Hint: "To call a procedure, use CALL.", Position: int(f.Location) + 1}
	}
	if fn.Language == "plpgsql" {
		rel, err := x.callPL(fn, args)
		return rel, false, err
	}
	sel, stmts, err := x.sqlBody(fn, fn.Body)
	if err != nil {
		return nil, false, err
	}
	if sel == nil {
		rel, err := x.callSQLRoutine(fn, stmts, args)
		return rel, false, err
	}
	if x.s.authorize != nil {
		// The caller's privileges on the tables the body reads, as for a query of the caller's own.
		if err := x.s.checkAccesses(accesses(&pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: sel}})); err != nil {
			return nil, false, err
		}
	}
	rel, err := x.functionExec(fn, args).selectRows(sel, functionScope(fn, args), -1)
	return rel, false, err
}

// builtInName reports whether name is one of the built-in functions the tables of this package list, which a
// database's function does not shadow (PostgreSQL searches pg_catalog first): a cheap test before the catalog's.
func builtInName(name string) bool {
	if aggregates[name] || setReturning[name] || stableFuncs[name] || volatileFuncs[name] || nowFuncs[name] {
		return true
	}
	_, bt := builtinTypes[name]
	_, mt := mathTypes[name]
	_, rt := regexTypes[name]
	_, at := arrayFuncs[name]
	return bt || mt || rt || at
}

// userSetFunction is the set-returning function (RETURNS SETOF, RETURNS TABLE) a call names, nil for none.
func (x *exec) userSetFunction(f *pg.FuncCall) *userFunc {
	if builtInName(funcName(f)) {
		return nil
	}
	if fn := x.userFunction(f); fn != nil && fn.returnsSet() {
		return fn
	}
	return nil
}

// functionSet is a set-returning function's values at the top of a select list's item, for one row: the first
// column's, or a record of RETURNS TABLE's columns.
func (x *exec) functionSet(fn *userFunc, f *pg.FuncCall, sc *scope) ([]any, error) {
	rel, null, err := x.callFunction(fn, f, sc, nil)
	if err != nil || null {
		return nil, err
	}
	vis := rel.visible("")
	vals := make([]any, 0, len(rel.rows))
	for _, r := range rel.rows {
		if len(fn.OutNames) == 0 {
			var v any
			if len(vis) > 0 {
				v = r[vis[0]]
			}
			if v, err = x.functionResult(fn, v); err != nil {
				return nil, err
			}
			vals = append(vals, v)
			continue
		}
		rec := record{names: fn.OutNames, oids: fn.OutTypes, vals: make([]any, len(fn.OutNames))}
		for i := range fn.OutNames {
			if i < len(vis) {
				rec.vals[i] = r[vis[i]]
			}
		}
		vals = append(vals, rec)
	}
	return vals, nil
}

// scalarFunction is a call of a function that returns one value: the first column of the body's first row,
// NULL for none, in the declared type.
func (x *exec) scalarFunction(fn *userFunc, f *pg.FuncCall, sc *scope, given []any) (any, error) {
	if fn.returnsSet() {
		return nil, &Error{Code: CodeFeatureNotSupported, Message: "set-returning functions are not allowed here (only in FROM and the select list)",
			Position: int(f.Location) + 1}
	}
	rel, null, err := x.callFunction(fn, f, sc, given)
	if err != nil || null {
		return nil, err
	}
	vis := rel.visible("")
	if fn.returnsRecord() {
		if len(rel.rows) == 0 {
			return nil, nil
		}
		rec := record{names: fn.OutNames, oids: fn.OutTypes, vals: make([]any, len(fn.OutNames))}
		for i := range fn.OutNames {
			if i < len(vis) {
				rec.vals[i] = rel.rows[0][vis[i]]
			}
		}
		return rec, nil
	}
	if len(rel.rows) == 0 || len(vis) == 0 {
		return x.functionResult(fn, nil) // NULL, which a NOT NULL domain refuses
	}
	return x.functionResult(fn, rel.rows[0][vis[0]])
}

// functionResult is a value a function's body gave, in the function's declared result type: its domain's
// constraints and modifier too.
func (x *exec) functionResult(fn *userFunc, v any) (any, error) {
	var err error
	if v != nil && fn.Returns != OIDRecord {
		if v, err = coerce(v, fn.Returns); err != nil {
			return nil, err
		}
	}
	if fn.RetDomain != "" {
		return x.toDomain(fn.RetDomain, v)
	}
	return v, nil
}

// functionFrom is a function's rows in FROM: a set-returning function's, or a scalar one's value, named as the
// function (RETURNS TABLE's columns by their names), the alias renaming them.
func (x *exec) functionFrom(rf *pg.RangeFunction, fn *userFunc, f *pg.FuncCall, sc *scope) (*relation, error) {
	if len(rf.Coldeflist) > 0 {
		// f() AS (a int, ...): a function made here returns no bare record.
		at := int(rf.Coldeflist[0].GetColumnDef().GetLocation()) + 1
		if fn.RetTable != "" {
			return nil, &Error{Code: CodeSyntaxError, Message: "a column definition list is redundant for a function returning a named composite type", Position: at}
		}
		return nil, &Error{Code: CodeSyntaxError, Message: "a column definition list is only allowed for functions returning \"record\"", Position: at}
	}
	qual := fn.Name
	if rf.Alias != nil {
		qual = rf.Alias.Aliasname
	}
	var cols []relCol
	if len(fn.OutNames) > 0 {
		for i, n := range fn.OutNames {
			cols = append(cols, relCol{qual: qual, name: n, oid: fn.OutTypes[i]})
		}
	} else {
		name := fn.Name
		if rf.Alias != nil {
			name = rf.Alias.Aliasname
		}
		cols = []relCol{{qual: qual, name: name, oid: fn.Returns}}
	}
	if rf.Alias != nil {
		if len(rf.Alias.Colnames) > len(cols) {
			return nil, errorf(CodeSyntaxError, "too many column aliases specified for function %s", fn.Name)
		}
		for i, c := range rf.Alias.Colnames {
			cols[i].name = c.GetString_().GetSval()
		}
	}
	if rf.Ordinality {
		cols = append(cols, relCol{qual: qual, name: "ordinality", oid: OIDInt8})
	}
	out := &relation{cols: cols}
	if x.describe {
		return out, nil
	}
	rel, null, err := x.callFunction(fn, f, sc, nil)
	if err != nil || null {
		return out, err
	}
	vis := rel.visible("")
	width := len(cols)
	if rf.Ordinality {
		width--
	}
	for i, r := range rel.rows {
		if !fn.SetOf && i > 0 {
			break
		}
		row := make([]any, 0, len(cols))
		for j := 0; j < width; j++ {
			var v any
			if j < len(vis) {
				v = r[vis[j]]
			}
			switch {
			case len(fn.OutNames) == 0:
				v, err = x.functionResult(fn, v)
			case v != nil && cols[j].oid != OIDRecord && cols[j].oid != 0:
				v, err = coerce(v, cols[j].oid)
			}
			if err != nil {
				return nil, err
			}
			row = append(row, v)
		}
		if rf.Ordinality {
			row = append(row, int64(i+1))
		}
		out.rows = append(out.rows, row)
	}
	if !fn.SetOf && len(out.rows) == 0 {
		row := make([]any, len(cols))
		if rf.Ordinality {
			row[len(row)-1] = int64(1)
		}
		out.rows = append(out.rows, row) // a scalar function's one row, NULL when its body gave none
	}
	return out, nil
}

// functionOf is the function an object name with arguments (DROP FUNCTION f(int), ALTER FUNCTION f OWNER TO)
// names, nil for none; 42725 when a name without arguments names several.
func (x *exec) functionOf(owa *pg.ObjectWithArgs) (*userFunc, error) {
	fns, err := x.userFunctions()
	if err != nil || len(fns) == 0 || len(owa.GetObjname()) == 0 {
		return nil, err
	}
	name := owa.GetObjname()[len(owa.GetObjname())-1].GetString_().GetSval()
	probe := &userFunc{Name: name}
	for _, a := range owa.GetObjargs() {
		t, err := x.resolveType(a.GetTypeName())
		rowTable := ""
		if rt := x.rowTypeTable(a.GetTypeName()); err != nil && rt != nil {
			t, err, rowTable = OIDRecord, nil, rt.Name
		}
		if err != nil {
			return nil, err
		}
		probe.ArgTables = append(probe.ArgTables, rowTable)
		dom, err := x.domainNamed(a.GetTypeName())
		if err != nil {
			return nil, err
		}
		probe.ArgTypes = append(probe.ArgTypes, t)
		if dom != nil {
			probe.ArgDomains = append(probe.ArgDomains, dom.Name)
		} else {
			probe.ArgDomains = append(probe.ArgDomains, "")
		}
	}
	var match []*userFunc
	for _, u := range fns[name] {
		if owa.GetArgsUnspecified() || u.ID == probe.functionID() {
			match = append(match, u)
		}
	}
	switch len(match) {
	case 0:
		return nil, nil
	case 1:
		return match[0], nil
	}
	return nil, errorf("42725", "function name \"%s\" is not unique", name)
}

// dropFunctions drops the functions DROP FUNCTION ds names that exist; ok is false when it names none of them
// (dropNothing answers for a missing one).
func (x *exec) dropFunctions(ds *pg.DropStmt) (bool, error) {
	var ids []string
	for _, o := range ds.Objects {
		fn, err := x.functionOf(o.GetObjectWithArgs())
		if err != nil || fn == nil {
			return false, err
		}
		ids = append(ids, fn.ID)
		if fn.Returns == OIDTrigger {
			if err := x.dropFunctionTriggers(fn, ds.Behavior == pg.DropBehavior_DROP_CASCADE); err != nil {
				return false, err
			}
		}
	}
	for _, id := range ids {
		if err := x.s.db().collection(functionsCollection).deleteOne(x.catWrite(), bson.D{{Key: "_id", Value: id}}); err != nil {
			return false, err
		}
	}
	x.funcs = nil
	return true, nil
}

// inBody places the position of an error in a function's body within the statement that makes the function, as
// PostgreSQL does: where the body's text is found in the statement's, else nowhere.
func (x *exec) inBody(err error, body string) error {
	e, ok := err.(*Error)
	if !ok || e.Position == 0 {
		return err
	}
	x.s.act.mu.Lock()
	text := x.s.act.query
	x.s.act.mu.Unlock()
	if i := strings.Index(text, body); i >= 0 && body != "" {
		e.Position += len([]rune(text[:i]))
	} else {
		e.Position = 0
	}
	return e
}

// functionSignature is pg_get_function_result, pg_get_function_arguments or pg_get_function_identity_arguments of
// a function's oid: its result (SETOF t, TABLE(a integer, ...)) or its parameters (a integer, b integer DEFAULT
// 1), as PostgreSQL writes them; NULL for an oid that is no function of the database.
func (x *exec) functionSignature(what string, oidArg any) (any, error) {
	fns, err := x.userFunctions()
	if err != nil {
		return nil, err
	}
	if name, ok := oidArg.(string); ok && len(fns[name]) == 1 {
		oidArg = int64(fns[name][0].OID) // 'f'::regproc, which stands for the function's name
	}
	o, err := coerce(oidArg, OIDInt8)
	if err != nil {
		return nil, err
	}
	for _, list := range fns {
		for _, fn := range list {
			if int64(fn.OID) != o.(int64) {
				continue
			}
			if what == "pg_get_function_result" {
				if fn.Procedure {
					return nil, nil // a procedure returns nothing: NULL, by which pg_dump writes CREATE PROCEDURE
				}
				if fn.RetTable != "" {
					name := quoteIdent(fn.RetTable)
					if !x.publicOnPath() {
						name = "public." + name // as pg_dump's empty search_path needs it
					}
					if fn.SetOf {
						return "SETOF " + name, nil
					}
					return name, nil
				}
				if fn.OutParams {
					return TypeName(fn.Returns), nil
				}
				if len(fn.OutNames) > 0 {
					cols := make([]string, len(fn.OutNames))
					for i, n := range fn.OutNames {
						cols[i] = quoteIdent(n) + " " + TypeName(fn.OutTypes[i])
					}
					return "TABLE(" + strings.Join(cols, ", ") + ")", nil
				}
				result := TypeName(fn.Returns)
				if fn.RetDomain != "" {
					result = fn.RetDomain
				}
				if fn.SetOf {
					return "SETOF " + result, nil
				}
				return result, nil
			}
			var params []string
			in := 0
			qual := "" // a table's row type, named as pg_dump's empty search_path needs
			if !x.publicOnPath() {
				qual = "public."
			}
			for _, p := range fn.declared(qual) {
				isOut := strings.HasPrefix(p, "OUT ") && !fn.Procedure
				if isOut && what != "pg_get_function_arguments" {
					continue // not part of the function's identity
				}
				if !isOut {
					if what == "pg_get_function_arguments" && fn.Defaults != nil && fn.Defaults[in] != "" {
						p += " DEFAULT " + fn.Defaults[in]
					}
					in++
				}
				params = append(params, p)
			}
			return strings.Join(params, ", "), nil
		}
	}
	return nil, nil
}

// isOff reports whether a boolean setting's text is false (off, no, 0, ...), as PostgreSQL's parse_bool reads it.
func isOff(v string) bool {
	b, ok := parseBoolText(v)
	return ok && !b
}

// functionsUsing are the identities of the functions whose parameters or result have domain name.
func (x *exec) functionsUsing(name string) ([]string, error) {
	fns, err := x.userFunctions()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, list := range fns {
		for _, fn := range list {
			if fn.RetDomain == name || slices.Contains(fn.ArgDomains, name) {
				out = append(out, fn.ID)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
