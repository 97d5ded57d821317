package expr

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// Computed fields (a collection's CollOptions.Computed) are aggregation expressions the storage evaluates over
// every document written. They are compiled by CompileComputed, which knows, beside MongoDB's operators, the
// operators of computedOperators: those that SQL's generation and index expressions need and MongoDB's language
// has no exact form of. Neither a pipeline nor a query can name them: in any other expression they are unknown
// operators (InvalidPipelineOperator, 168), as they would be on mongod.

// computedOperators are the operators only computed fields may use.
//
//   - $sqlLower and $sqlUpper map the case of every character, as SQL's lower and upper do ($toLower and
//     $toUpper map ASCII letters only, as mongod's do); NULL or missing is NULL, anything but a string
//     TypeMismatch (14).
//
// It is filled by init, as operators is, for the same reason.
var computedOperators map[string]opCompiler

func init() {
	computedOperators = map[string]opCompiler{
		"$sqlLower": compileSQLCase,
		"$sqlUpper": compileSQLCase,
	}
}

// CompileComputed compiles the expression of a computed field. Errors are Compile's.
func CompileComputed(v bson.RawValue) (*Expr, error) {
	if err := validate(v); err != nil {
		return nil, err
	}
	n, err := compile(v, &Scope{computed: true})
	if err != nil {
		return nil, err
	}
	return &Expr{node: n}, nil
}

// isComputed reports whether s compiles a computed field's expression.
func (s *Scope) isComputed() bool {
	for f := s; f != nil; f = f.parent {
		if f.computed {
			return true
		}
	}
	return false
}

// sqlCase is $sqlLower or $sqlUpper of arg.
type sqlCase struct {
	upper bool
	arg   node
}

func compileSQLCase(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileN(op, arg, scope, 1)
	if err != nil {
		return nil, err
	}
	return sqlCase{upper: op == "$sqlUpper", arg: args[0]}, nil
}

// eval implements node.
func (n sqlCase) eval(c *env) (bson.RawValue, error) {
	v, err := n.arg.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	if value.IsNullish(v) {
		return value.Null, nil
	}
	s, ok := v.StringValueOK()
	if !ok {
		op := "$sqlLower"
		if n.upper {
			op = "$sqlUpper"
		}
		return bson.RawValue{}, codes.New(codes.TypeMismatch, "%s requires a string argument, found: %s", op, value.TypeNameOf(v))
	}
	if n.upper {
		return value.String(strings.ToUpper(s)), nil
	}
	return value.String(strings.ToLower(s)), nil
}
