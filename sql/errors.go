package sql

import (
	"context"
	"errors"
	"fmt"

	"github.com/concorddb/concord"
)

// SQLSTATE codes Concord reports (PostgreSQL's Appendix A).
const (
	CodeSuccessfulCompletion         = "00000"
	CodeFeatureNotSupported          = "0A000"
	CodeInvalidTextRep               = "22P02"
	CodeDivisionByZero               = "22012"
	CodeDataException                = "22000"
	CodeNumericOutOfRange            = "22003"
	CodeStringDataRightTruncation    = "22001"
	CodeNotNullViolation             = "23502"
	CodeUniqueViolation              = "23505"
	CodeInvalidTxnState              = "25000"
	CodeActiveSQLTransaction         = "25001"
	CodeNoActiveSQLTransaction       = "25P01"
	CodeInFailedSQLTransaction       = "25P02"
	CodeInvalidPassword              = "28P01"
	CodeInsufficientPrivilege        = "42501"
	CodeInvalidAuthorization         = "28000"
	CodeTooManyConnections           = "53300"
	CodeSerializationFailure         = "40001"
	CodeSyntaxError                  = "42601"
	CodeUndefinedColumn              = "42703"
	CodeUndefinedTable               = "42P01"
	CodeUndefinedFunction            = "42883"
	CodeUndefinedObject              = "42704"
	CodeDuplicateTable               = "42P07"
	CodeDuplicateAlias               = "42712"
	CodeAmbiguousColumn              = "42702"
	CodeDatatypeMismatch             = "42804"
	CodeGroupingError                = "42803"
	CodeInvalidColumnReference       = "42P10"
	CodeInvalidRecursion             = "42P19"
	CodeCardinalityViolation         = "21000"
	CodeQueryCanceled                = "57014"
	CodeAdminShutdown                = "57P01"
	CodeProtocolViolation            = "08P01"
	CodeInternalError                = "XX000"
	CodeInvalidParameterValue        = "22023"
	CodeUndefinedParameter           = "42P02"
	CodeInvalidSQLStatementName      = "26000"
	CodeObjectNotInPrerequisiteState = "55000"
	CodeGeneratedAlways              = "428C9"
	CodeLockNotAvailable             = "55P03"
	CodeDeadlockDetected             = "40P01"
	CodeCannotCoerce                 = "42846"
	CodeInvalidName                  = "42602"
	CodeNullValueNotAllowed          = "22004"
	CodeArraySubscriptError          = "2202E"
	CodeWindowingError               = "42P20"
	CodeInvalidPrecedingFollowing    = "22013"
)

// Error is a statement's failure as PostgreSQL reports it: a SQLSTATE Code,
// a Message, and where known the Detail, the Constraint violated and the
// 1-based character Position in the statement text.
type Error struct {
	Code       string
	Message    string
	Detail     string
	Hint       string
	Constraint string
	Table      string
	// Column is the column a not-null violation names (PostgreSQL's column_name field).
	Column string
	// DataType is the domain a domain constraint's violation names (PostgreSQL's data_type_name field).
	DataType string
	Position int
	// Where is the error's context (PostgreSQL's CONTEXT: "COPY t, line 3").
	Where string
	// Severity is a warning's (Result.Warnings) severity: "" for WARNING, or NOTICE.
	Severity string
	// Cause is the underlying error (a *concord.Error, a context error).
	Cause error
}

func (e *Error) Error() string { return e.Message + " (SQLSTATE " + e.Code + ")" }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Cause }

// errorf returns an *Error with the given SQLSTATE.
func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// unsupported is the 0A000 error for valid PostgreSQL Concord does not run.
func unsupported(what string) *Error {
	return errorf(CodeFeatureNotSupported, "%s is not supported by Concord", what)
}

// errCode is err's SQLSTATE, "" for no error.
func errCode(err error) string {
	if err == nil {
		return ""
	}
	return AsError(err).Code
}

// AsError converts any error a statement returns into an *Error: a
// *concord.Error by its MongoDB code (a write conflict is 40001, a duplicate
// key 23505), a cancelled or expired context 57014, anything else XX000.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeQueryCanceled, Message: "canceling statement due to user request", Cause: err}
	}
	var ce *concord.Error
	if errors.As(err, &ce) {
		switch {
		case concord.IsWriteConflict(err) || (concord.IsTransientTransactionError(err) && ce.Code == 251):
			return &Error{Code: CodeSerializationFailure,
				Message: "could not serialize access due to concurrent update", Cause: err}
		case concord.IsDuplicateKey(err):
			out := &Error{Code: CodeUniqueViolation, Cause: err}
			name := "_id"
			if len(ce.KeyPattern) > 0 {
				name = ce.KeyPattern[0].Key
			}
			out.Constraint = name
			out.Message = fmt.Sprintf("duplicate key value violates unique constraint %q", name)
			if len(ce.KeyValue) > 0 {
				out.Detail = fmt.Sprintf("Key (%s)=(%s) already exists.", name, formatText(fromGo(ce.KeyValue[0].Value)))
			}
			return out
		case ce.Code == 50 || ce.Code == 262 || ce.Code == 11601:
			return &Error{Code: CodeQueryCanceled, Message: "canceling statement due to statement timeout", Cause: err}
		}
		return &Error{Code: CodeInternalError, Message: ce.Message, Cause: err}
	}
	return &Error{Code: CodeInternalError, Message: err.Error(), Cause: err}
}

// More SQLSTATE codes.
const (
	CodeProgramLimitExceeded     = "54000"
	CodeCharacterNotInRepertoire = "22021"
	CodeUntranslatableCharacter  = "22P05"
	CodeInvalidArgumentForLog    = "2201E"
	CodeInvalidArgumentForPower  = "2201F"
	// CodeInvalidArgumentForWidthBucket is invalid_argument_for_width_bucket_function.
	CodeInvalidArgumentForWidthBucket = "2201G"
	CodeInvalidRegularExpression      = "2201B"
	CodeInvalidEscapeSequence         = "22025"
	CodeInvalidUseOfEscapeCharacter   = "2200B"
	CodeDatetimeFieldOverflow         = "22008"
	CodeInvalidDatetimeFormat         = "22007"
	CodeWrongObjectType               = "42809"
	CodeInvalidSavepoint              = "3B001"
	CodeInvalidTableDefinition        = "42P16"
)
