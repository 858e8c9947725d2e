package notebooks

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors of this package wrap one of them, so callers can
// choose an exit status with errors.Is.
var (
	// ErrSyntax is wrapped by every *ParseError.
	ErrSyntax = errors.New("invalid notebook")
	// ErrParam is wrapped by errors about parameters given to Run: a
	// missing required parameter, an unknown name or a value of the wrong
	// type.
	ErrParam = errors.New("invalid notebook parameter")
	// ErrCellFailed is wrapped by the error that Run returns when at least
	// one cell failed while the others ran.
	ErrCellFailed = errors.New("notebook cell failed")
	// ErrNotFound is returned by Builtin for a name that no embedded
	// notebook has.
	ErrNotFound = errors.New("notebook not found")
)

// ParseError is a mistake in a notebook's text, at a 1-based line.
type ParseError struct {
	// File is the name given to Parse, such as a path or a built-in name.
	File string
	Line int
	// Cell is the name of the cell the line belongs to, or "".
	Cell string
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Cell != "" {
		return fmt.Sprintf("%s:%d: cell %q: %s", e.File, e.Line, e.Cell, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Unwrap returns ErrSyntax.
func (e *ParseError) Unwrap() error { return ErrSyntax }
