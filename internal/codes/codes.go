// Package codes holds MongoDB's error codes and the one error type Concord returns
// at every boundary: the engine, the query language, the embeddable API and the
// wire server all speak in *Error values, so a code is mapped to its name and its
// labels in exactly one place (the table below).
//
// The root package re-exports Error as concord.Error.
package codes

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Code is a MongoDB error code (src/mongo/base/error_codes.yml).
type Code int32

// The codes Concord produces. Names and numbers are MongoDB's.
const (
	InternalError                            Code = 1
	DataCorruptionDetected                   Code = 12
	OutOfDiskSpace                           Code = 14031
	BadValue                                 Code = 2
	NoSuchKey                                Code = 4
	FailedToParse                            Code = 9
	TypeMismatch                             Code = 14
	InvalidLength                            Code = 16
	IllegalOperation                         Code = 20
	LockTimeout                              Code = 24
	NamespaceNotFound                        Code = 26
	PathNotViable                            Code = 28
	ConflictingUpdateOperators               Code = 40
	CannotBackfillArray                      Code = 34
	EmptyFieldName                           Code = 56
	CursorNotFound                           Code = 43
	NamespaceExists                          Code = 48
	MaxTimeMSExpired                         Code = 50
	DollarPrefixedFieldName                  Code = 52
	InvalidIdField                           Code = 53
	NotSingleValueField                      Code = 54
	CommandNotFound                          Code = 59
	ImmutableField                           Code = 66
	CannotCreateIndex                        Code = 67
	IndexAlreadyExists                       Code = 68
	InvalidOptions                           Code = 72
	InvalidNamespace                         Code = 73
	IndexOptionsConflict                     Code = 85
	IndexKeySpecsConflict                    Code = 86
	AmbiguousIndexKeyPattern                 Code = 265
	IndexNotFound                            Code = 27
	WriteConflict                            Code = 112
	ConflictingOperationInProgress           Code = 117
	DocumentValidationFailure                Code = 121
	GraphContainsCycle                       Code = 93
	ViewDepthLimitExceeded                   Code = 165
	CommandNotSupportedOnView                Code = 166
	OptionNotSupportedOnView                 Code = 167
	QueryFeatureNotAllowed                   Code = 224
	ExceededMemoryLimit                      Code = 146
	OperationFailed                          Code = 96
	InvalidBSON                              Code = 22
	Location16755                            Code = 16755
	IncompleteTransactionHistory             Code = 217
	TransactionTooOld                        Code = 225
	SnapshotTooOld                           Code = 239
	SnapshotUnavailable                      Code = 246
	NoSuchTransaction                        Code = 251
	TransactionCommitted                     Code = 256
	TransactionTooLarge                      Code = 257
	ExceededTimeLimit                        Code = 262
	OperationNotSupportedInTransaction       Code = 263
	ClientDisconnect                         Code = 279
	TransactionExceededLifetimeLimitSeconds  Code = 290
	QueryExceededMemoryLimitNoDiskUseAllowed Code = 292
	InternalTransactionNotSupported          Code = 358
	TemporarilyUnavailable                   Code = 365
	TransactionTooLargeForCache              Code = 388
	DuplicateKey                             Code = 11000
	Interrupted                              Code = 11601
	InterruptedAtShutdown                    Code = 11600
	BSONObjectTooLarge                       Code = 10334
	NotARetryableWriteCommand                Code = 50768
	UnknownError                             Code = 8
	InvalidPipelineOperator                  Code = 168
	Location15998                            Code = 15998
	Location40352                            Code = 40352
	Location40353                            Code = 40353
	Location31254                            Code = 31254
	Location40323                            Code = 40323
	Location40324                            Code = 40324
	ProtocolError                            Code = 17
	Unauthorized                             Code = 13
	UserNotFound                             Code = 11
	AuthenticationFailed                     Code = 18
	RoleNotFound                             Code = 31
	MechanismUnavailable                     Code = 334
	UserAlreadyExists                        Code = 51003
	SystemCollectionInTransaction            Code = 50791
	UnsupportedOpQueryCommand                Code = 352
	CommandFailed                            Code = 125
	CannotIndexParallelArrays                Code = 171
	FailPointSetFailed                       Code = 266
	PreparedTransactionInProgress            Code = 267
	ChangeStreamHistoryLost                  Code = 286
	NoMatchingDocument                       Code = 47
	Location40674                            Code = 40674
	Location40602                            Code = 40602
	ChangeStreamFatalError                   Code = 280
	InvalidResumeToken                       Code = 260
	Location40647                            Code = 40647
	Location40649                            Code = 40649
	UnknownReplWriteConcern                  Code = 79
	UnsatisfiableWriteConcern                Code = 100
	APIStrictError                           Code = 323
	CommandNotSupported                      Code = 115
	QueryPlanKilled                          Code = 175

	// Codes Concord never raises itself but a client may meet (a failCommand fail point returns any code):
	// the RetriableError category, which decides RetryableWriteError and TransientTransactionError labels.
	HostUnreachable                 Code = 6
	HostNotFound                    Code = 7
	NetworkTimeout                  Code = 89
	ShutdownInProgress              Code = 91
	ReadConcernMajorityNotAvailable Code = 134
	PrimarySteppedDown              Code = 189
	SocketException                 Code = 9001
	NotWritablePrimary              Code = 10107
	InterruptedDueToReplStateChange Code = 11602
	NotPrimaryNoSecondaryOk         Code = 13435
	NotPrimaryOrSecondary           Code = 13436
)

// Labels MongoDB attaches to errors.
const (
	LabelTransientTransaction = "TransientTransactionError"
	LabelUnknownCommitResult  = "UnknownTransactionCommitResult"
	LabelRetryableWrite       = "RetryableWriteError"
	LabelNoWritesPerformed    = "NoWritesPerformed"
	// LabelResumableChangeStream and LabelNonResumableChangeStream tell a driver whether a change stream
	// that failed may be resumed.
	LabelResumableChangeStream    = "ResumableChangeStreamError"
	LabelNonResumableChangeStream = "NonResumableChangeStreamError"
)

// info describes one code: its name and the categories that decide its labels.
type info struct {
	name string
	// transient: always labelled TransientTransactionError inside a transaction.
	transient bool
	// retriable: in MongoDB's RetriableError category.
	retriable bool
}

// table is the single source of truth for code names and categories.
var table = map[Code]info{
	InternalError:                            {name: "InternalError"},
	DataCorruptionDetected:                   {name: "DataCorruptionDetected"},
	OutOfDiskSpace:                           {name: "OutOfDiskSpace"},
	BadValue:                                 {name: "BadValue"},
	NoSuchKey:                                {name: "NoSuchKey"},
	FailedToParse:                            {name: "FailedToParse"},
	TypeMismatch:                             {name: "TypeMismatch"},
	InvalidLength:                            {name: "InvalidLength"},
	IllegalOperation:                         {name: "IllegalOperation"},
	LockTimeout:                              {name: "LockTimeout", transient: true},
	NamespaceNotFound:                        {name: "NamespaceNotFound"},
	IndexNotFound:                            {name: "IndexNotFound"},
	PathNotViable:                            {name: "PathNotViable"},
	ConflictingUpdateOperators:               {name: "ConflictingUpdateOperators"},
	CannotBackfillArray:                      {name: "CannotBackfillArray"},
	EmptyFieldName:                           {name: "EmptyFieldName"},
	CursorNotFound:                           {name: "CursorNotFound"},
	NamespaceExists:                          {name: "NamespaceExists"},
	MaxTimeMSExpired:                         {name: "MaxTimeMSExpired"},
	DollarPrefixedFieldName:                  {name: "DollarPrefixedFieldName"},
	InvalidIdField:                           {name: "InvalidIdField"},
	NotSingleValueField:                      {name: "NotSingleValueField"},
	CommandNotFound:                          {name: "CommandNotFound"},
	ImmutableField:                           {name: "ImmutableField"},
	CannotCreateIndex:                        {name: "CannotCreateIndex"},
	IndexAlreadyExists:                       {name: "IndexAlreadyExists"},
	InvalidOptions:                           {name: "InvalidOptions"},
	InvalidNamespace:                         {name: "InvalidNamespace"},
	IndexOptionsConflict:                     {name: "IndexOptionsConflict"},
	IndexKeySpecsConflict:                    {name: "IndexKeySpecsConflict"},
	AmbiguousIndexKeyPattern:                 {name: "AmbiguousIndexKeyPattern"},
	WriteConflict:                            {name: "WriteConflict", transient: true},
	ConflictingOperationInProgress:           {name: "ConflictingOperationInProgress"},
	DocumentValidationFailure:                {name: "DocumentValidationFailure"},
	GraphContainsCycle:                       {name: "GraphContainsCycle"},
	ViewDepthLimitExceeded:                   {name: "ViewDepthLimitExceeded"},
	CommandNotSupportedOnView:                {name: "CommandNotSupportedOnView"},
	OptionNotSupportedOnView:                 {name: "OptionNotSupportedOnView"},
	QueryFeatureNotAllowed:                   {name: "QueryFeatureNotAllowed"},
	ExceededMemoryLimit:                      {name: "ExceededMemoryLimit"},
	QueryPlanKilled:                          {name: "QueryPlanKilled"},
	OperationFailed:                          {name: "OperationFailed"},
	InvalidBSON:                              {name: "InvalidBSON"},
	Location16755:                            {name: "Location16755"},
	IncompleteTransactionHistory:             {name: "IncompleteTransactionHistory"},
	TransactionTooOld:                        {name: "TransactionTooOld"},
	SnapshotTooOld:                           {name: "SnapshotTooOld", transient: true},
	SnapshotUnavailable:                      {name: "SnapshotUnavailable", transient: true},
	NoSuchTransaction:                        {name: "NoSuchTransaction"},
	TransactionCommitted:                     {name: "TransactionCommitted"},
	TransactionTooLarge:                      {name: "TransactionTooLarge"},
	ExceededTimeLimit:                        {name: "ExceededTimeLimit", retriable: true},
	OperationNotSupportedInTransaction:       {name: "OperationNotSupportedInTransaction"},
	ClientDisconnect:                         {name: "ClientDisconnect"},
	TransactionExceededLifetimeLimitSeconds:  {name: "TransactionExceededLifetimeLimitSeconds"},
	QueryExceededMemoryLimitNoDiskUseAllowed: {name: "QueryExceededMemoryLimitNoDiskUseAllowed"},
	InternalTransactionNotSupported:          {name: "InternalTransactionNotSupported", retriable: true},
	TemporarilyUnavailable:                   {name: "TemporarilyUnavailable"},
	TransactionTooLargeForCache:              {name: "TransactionTooLargeForCache"},
	DuplicateKey:                             {name: "DuplicateKey"},
	Interrupted:                              {name: "Interrupted"},
	InterruptedAtShutdown:                    {name: "InterruptedAtShutdown", retriable: true},
	BSONObjectTooLarge:                       {name: "BSONObjectTooLarge"},
	NotARetryableWriteCommand:                {name: "NotARetryableWriteCommand"},
	UnknownError:                             {name: "UnknownError"},
	InvalidPipelineOperator:                  {name: "InvalidPipelineOperator"},
	Location15998:                            {name: "Location15998"},
	Location40352:                            {name: "Location40352"},
	Location40353:                            {name: "Location40353"},
	Location31254:                            {name: "Location31254"},
	Location40323:                            {name: "Location40323"},
	Location40324:                            {name: "Location40324"},
	ProtocolError:                            {name: "ProtocolError"},
	Unauthorized:                             {name: "Unauthorized"},
	UserNotFound:                             {name: "UserNotFound"},
	AuthenticationFailed:                     {name: "AuthenticationFailed"},
	RoleNotFound:                             {name: "RoleNotFound"},
	MechanismUnavailable:                     {name: "MechanismUnavailable"},
	UserAlreadyExists:                        {name: "Location51003"},
	SystemCollectionInTransaction:            {name: "Location50791"},
	UnsupportedOpQueryCommand:                {name: "UnsupportedOpQueryCommand"},
	CommandFailed:                            {name: "CommandFailed"},
	CannotIndexParallelArrays:                {name: "CannotIndexParallelArrays"},
	FailPointSetFailed:                       {name: "FailPointSetFailed"},
	PreparedTransactionInProgress:            {name: "PreparedTransactionInProgress", transient: true},
	ChangeStreamHistoryLost:                  {name: "ChangeStreamHistoryLost"},
	NoMatchingDocument:                       {name: "NoMatchingDocument"},
	Location40674:                            {name: "Location40674"},
	Location40602:                            {name: "Location40602"},
	ChangeStreamFatalError:                   {name: "ChangeStreamFatalError"},
	InvalidResumeToken:                       {name: "InvalidResumeToken"},
	Location40647:                            {name: "Location40647"},
	Location40649:                            {name: "Location40649"},
	UnknownReplWriteConcern:                  {name: "UnknownReplWriteConcern"},
	UnsatisfiableWriteConcern:                {name: "UnsatisfiableWriteConcern"},
	APIStrictError:                           {name: "APIStrictError"},
	CommandNotSupported:                      {name: "CommandNotSupported"},
	HostUnreachable:                          {name: "HostUnreachable", retriable: true},
	HostNotFound:                             {name: "HostNotFound", retriable: true},
	NetworkTimeout:                           {name: "NetworkTimeout", retriable: true},
	ShutdownInProgress:                       {name: "ShutdownInProgress", retriable: true},
	ReadConcernMajorityNotAvailable:          {name: "ReadConcernMajorityNotAvailableYet", retriable: true},
	PrimarySteppedDown:                       {name: "PrimarySteppedDown", retriable: true},
	SocketException:                          {name: "SocketException", retriable: true},
	NotWritablePrimary:                       {name: "NotWritablePrimary", retriable: true},
	InterruptedDueToReplStateChange:          {name: "InterruptedDueToReplStateChange", retriable: true},
	NotPrimaryNoSecondaryOk:                  {name: "NotPrimaryNoSecondaryOk", retriable: true},
	NotPrimaryOrSecondary:                    {name: "NotPrimaryOrSecondary", retriable: true},
}

// Name returns the code's MongoDB name ("WriteConflict"), or "Location<N>" for
// codes not in the table, as mongod does for assertion ids.
func (c Code) Name() string {
	if i, ok := table[c]; ok {
		return i.name
	}
	return fmt.Sprintf("Location%d", int32(c))
}

// Transient reports whether MongoDB labels the code TransientTransactionError
// whenever it is returned inside a multi-document transaction.
func (c Code) Transient() bool { return table[c].transient }

// Retriable reports whether the code is in MongoDB's RetriableError category.
func (c Code) Retriable() bool { return table[c].retriable }

// Error is a MongoDB error: a numeric code, its name, a message and the labels
// a client uses to decide whether to retry. It is comparable with errors.Is by
// code: errors.Is(err, &Error{Code: WriteConflict}) is true for any write
// conflict.
type Error struct {
	Code    Code
	Message string
	Labels  []string
	// KeyPattern and KeyValue are set on DuplicateKey errors, in index order.
	KeyPattern bson.D
	KeyValue   bson.D
	// ErrInfo is set on DocumentValidationFailure: {failingDocumentId, details}, mongod's errInfo.
	ErrInfo bson.D
	// Cause is an optional underlying error (for example a Pebble I/O error).
	Cause error
}

// New returns an Error with the given code and message, without labels.
func New(code Code, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Code: code, Message: format}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeName returns the name of e's code.
func (e *Error) CodeName() string { return e.Code.Name() }

func (e *Error) Error() string {
	if len(e.Labels) > 0 {
		return fmt.Sprintf("%s (%d) %v: %s", e.Code.Name(), int32(e.Code), e.Labels, e.Message)
	}
	return fmt.Sprintf("%s (%d): %s", e.Code.Name(), int32(e.Code), e.Message)
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Cause }

// Is matches another *Error with the same code, so errors.Is works on codes.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// HasLabel reports whether e carries label.
func (e *Error) HasLabel(label string) bool {
	for _, l := range e.Labels {
		if l == label {
			return true
		}
	}
	return false
}

// WithLabel returns a copy of e carrying label in addition to its own.
func (e *Error) WithLabel(label string) *Error {
	if e.HasLabel(label) {
		return e
	}
	c := *e
	c.Labels = append(append([]string(nil), e.Labels...), label)
	return &c
}

// InTransaction returns e as MongoDB reports it to a statement of a
// multi-document transaction: labelled TransientTransactionError when its code
// is transient or NoSuchTransaction (the rule of error_labels.cpp for commands
// other than commit and abort, which the caller handles itself).
func (e *Error) InTransaction() *Error {
	if e.Code.Transient() || e.Code == NoSuchTransaction {
		return e.WithLabel(LabelTransientTransaction)
	}
	return e
}

// As returns err as an *Error when it is one (or wraps one).
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// CodeOf returns err's code, or 0 when err is not an *Error.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return 0
}

// HasLabel reports whether err is an *Error carrying label.
func HasLabel(err error, label string) bool {
	e, ok := As(err)
	return ok && e.HasLabel(label)
}

// IsWriteConflict reports whether err is a WriteConflict (112).
func IsWriteConflict(err error) bool { return CodeOf(err) == WriteConflict }

// IsDuplicateKey reports whether err is a DuplicateKey (11000).
func IsDuplicateKey(err error) bool { return CodeOf(err) == DuplicateKey }

// IsTransientTransactionError reports whether err carries the
// TransientTransactionError label: the whole transaction may be retried.
func IsTransientTransactionError(err error) bool {
	return HasLabel(err, LabelTransientTransaction)
}

// FromContext is the one conversion of a done context into MongoDB's error: the cause given to
// context.WithCancelCause when it is an *Error (the transaction reaper's lifetime abort, killOp's interruption),
// else MaxTimeMSExpired (50) for a passed deadline and Interrupted (11601) for a cancellation. It returns nil while
// ctx is not done, so a long loop calls it as a check.
func FromContext(ctx context.Context) *Error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	if ce, ok := As(context.Cause(ctx)); ok {
		return ce
	}
	return Interruption(err)
}

// Interruption returns MongoDB's error for err when err is (or wraps) a context's error: MaxTimeMSExpired for
// context.DeadlineExceeded, Interrupted for context.Canceled. It returns nil for any other error.
func Interruption(err error) *Error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: MaxTimeMSExpired, Message: "operation exceeded time limit", Cause: err}
	case errors.Is(err, context.Canceled):
		return &Error{Code: Interrupted, Message: "operation was interrupted", Cause: err}
	}
	return nil
}
