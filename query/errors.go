package query

import (
	"context"
	"errors"
	"fmt"
	"strings"

	bindings "github.com/duckdb/duckdb-go-bindings"

	"github.com/flowq/flowq/internal/dataset"
)

// Kind classifies a failed statement, so that callers can choose the wording
// and the exit status without parsing DuckDB's message.
type Kind int

const (
	// KindOther is a failure that fits no other kind, such as an internal
	// DuckDB error.
	KindOther Kind = iota
	// KindSyntax is a parser error: the SQL text is not valid SQL.
	KindSyntax
	// KindBinder is a binder or catalog error: an unknown table, column,
	// function or macro, or arguments of the wrong type.
	KindBinder
	// KindQuery is any other error caused by the statement and its data,
	// such as a failed cast, a division by zero or an invalid argument.
	KindQuery
	// KindReadOnly is a statement that flowq rejects because it would write
	// into the dataset, attach a database or load an extension.
	KindReadOnly
	// KindOutOfMemory means DuckDB reached its memory limit.
	KindOutOfMemory
	// KindInterrupted means the statement was cancelled through its context.
	KindInterrupted
	// KindIO is a failure to read or write a file, such as a missing,
	// unreadable or corrupt Parquet file.
	KindIO
	// KindNoData means the statement reads the flows or tgw_flows view but
	// the dataset, or the part of it that the engine's filters select, has
	// no data files.
	KindNoData
)

func (k Kind) String() string {
	switch k {
	case KindSyntax:
		return "syntax error"
	case KindBinder:
		return "binder error"
	case KindQuery:
		return "query error"
	case KindReadOnly:
		return "statement not allowed"
	case KindOutOfMemory:
		return "out of memory"
	case KindInterrupted:
		return "interrupted"
	case KindIO:
		return "I/O error"
	case KindNoData:
		return "no data"
	default:
		return "error"
	}
}

// Sentinel errors. Every *Error of the matching kind wraps one of them, so
// errors.Is works on any error that this package returns.
var (
	// ErrInterrupted is wrapped by errors of KindInterrupted.
	ErrInterrupted = errors.New("query interrupted")
	// ErrReadOnly is wrapped by errors of KindReadOnly.
	ErrReadOnly = errors.New("the dataset is read-only")
	// ErrNoDataset is wrapped by KindNoData errors when the data folder
	// holds no data files at all.
	ErrNoDataset = errors.New("no flowq dataset")
	// ErrNoDataInRange is wrapped by KindNoData errors when the dataset has
	// data files but none in the time range, accounts and regions selected.
	ErrNoDataInRange = errors.New("no data in the requested range")
)

// Error is a statement that failed. Message is DuckDB's own message, which
// for parser and binder errors ends with the line of the statement and a
// caret under the failing position.
type Error struct {
	Kind Kind
	// Message is the error text without a kind prefix.
	Message string
	// Statement is the 1-based position of the failed statement in a
	// script of several statements, or 0 for a single statement.
	Statement int
	// cause is a sentinel of this package or a context error.
	cause error
}

func (e *Error) Error() string {
	if e.Statement > 0 {
		return fmt.Sprintf("statement %d: %s", e.Statement, e.Message)
	}
	return e.Message
}

// Unwrap returns the sentinel of the error's kind, or the context's error
// for an interrupted statement.
func (e *Error) Unwrap() []error {
	var out []error
	switch e.Kind {
	case KindInterrupted:
		out = append(out, ErrInterrupted)
	case KindReadOnly:
		out = append(out, ErrReadOnly)
	}
	if e.cause != nil {
		out = append(out, e.cause)
	}
	return out
}

// KindOf returns the kind of err: the Kind of an *Error in its chain,
// KindInterrupted for a cancelled context, KindOther otherwise.
func KindOf(err error) Kind {
	var qe *Error
	switch {
	case err == nil:
		return KindOther
	case errors.As(err, &qe):
		return qe.Kind
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return KindInterrupted
	}
	return KindOther
}

// duckError builds an *Error from a DuckDB error type and message. A
// cancelled ctx turns any error into KindInterrupted, because DuckDB reports
// some interrupts as other kinds of errors.
func duckError(ctx context.Context, typ bindings.ErrorType, msg string) *Error {
	if ctx != nil && ctx.Err() != nil {
		return &Error{Kind: KindInterrupted, Message: "query interrupted", cause: ctx.Err()}
	}
	return fileError(&Error{Kind: dataFileKind(kindOfErrorType(typ), msg), Message: msg})
}

// fileError explains DuckDB's schema mismatch error. Views over a format-2
// dataset read the files without merging their columns by name, so a file
// without the table's columns, put into the dataset by another tool or an
// older flowq, fails every query. DuckDB's advice to set union_by_name is
// not something a user can act on; moving the file out or removing the
// format file is.
func fileError(e *Error) *Error {
	if !strings.Contains(e.Message, "schema mismatch") {
		return e
	}
	e.Kind = KindIO
	e.Message = fmt.Sprintf("a data file lacks columns that the dataset's format file %s promises every file has. "+
		"Move the file named below out of the dataset, or remove %s to read the dataset by column name, which is slower.\n%s",
		dataset.FormatFile, dataset.FormatFile, e.Message)
	return e
}

// dataFileKind turns DuckDB's errors about a damaged Parquet file, which it
// reports as invalid input, into KindIO: the file is at fault, not the SQL.
func dataFileKind(kind Kind, msg string) Kind {
	if kind != KindQuery || !strings.Contains(msg, "Parquet") && !strings.Contains(msg, "parquet") {
		return kind
	}
	for _, s := range []string{"too small to be a Parquet file", "No magic bytes", "corrupt", "Corrupt", "invalid Parquet", "not a valid Parquet"} {
		if strings.Contains(msg, s) {
			return KindIO
		}
	}
	return kind
}

func kindOfErrorType(typ bindings.ErrorType) Kind {
	switch typ {
	case bindings.ErrorTypeParser, bindings.ErrorTypeSyntax:
		return KindSyntax
	case bindings.ErrorTypeBinder, bindings.ErrorTypeCatalog, bindings.ErrorTypeParameterNotResolved,
		bindings.ErrorTypeParameterNotAllowed, bindings.ErrorTypeMismatchType:
		return KindBinder
	case bindings.ErrorTypeOutOfMemory:
		return KindOutOfMemory
	case bindings.ErrorTypeInterrupt:
		return KindInterrupted
	case bindings.ErrorTypeErrorIO, bindings.ErrorTypePermission:
		return KindIO
	case bindings.ErrorTypeInternal, bindings.ErrorTypeFatal, bindings.ErrorTypeInvalid,
		bindings.ErrorTypeConnection, bindings.ErrorTypeNetwork, bindings.ErrorTypeHTTP:
		return KindOther
	}
	return KindQuery
}

// errorPrefixes maps the prefix of a DuckDB message ("Binder Error: …") to
// its kind, for errors that come without a typed error code, such as the
// errors of preparing a statement.
var errorPrefixes = map[string]Kind{
	"Parser Error":                 KindSyntax,
	"Syntax Error":                 KindSyntax,
	"Binder Error":                 KindBinder,
	"Catalog Error":                KindBinder,
	"Parameter Not Resolved Error": KindBinder,
	"Parameter Not Allowed Error":  KindBinder,
	"Mismatch Type Error":          KindBinder,
	"Out of Memory Error":          KindOutOfMemory,
	"INTERRUPT Error":              KindInterrupted,
	"IO Error":                     KindIO,
	"Permission Error":             KindIO,
	"INTERNAL Error":               KindOther,
	"FATAL Error":                  KindOther,
}

// messageError builds an *Error from a DuckDB message whose kind is only
// known from its prefix.
func messageError(ctx context.Context, msg string) *Error {
	if ctx != nil && ctx.Err() != nil {
		return &Error{Kind: KindInterrupted, Message: "query interrupted", cause: ctx.Err()}
	}
	kind := KindQuery
	if prefix, _, ok := strings.Cut(msg, ": "); ok {
		if k, known := errorPrefixes[prefix]; known {
			kind = k
		}
	}
	return fileError(&Error{Kind: dataFileKind(kind, msg), Message: msg})
}

// readOnlyError returns a KindReadOnly error with the given message.
func readOnlyError(format string, args ...any) *Error {
	return &Error{Kind: KindReadOnly, Message: fmt.Sprintf(format, args...)}
}
