package main

import (
	"context"
	"errors"
	"strconv"

	"github.com/flowq/flowq/convert"
)

// Exit statuses, shared by every command and listed in each command's help.
const (
	exitOK = 0
	// exitError is a failure that stopped the command.
	exitError = 1
	// exitUsage is a wrong flag, argument or setting.
	exitUsage = 2
	// exitPartial means the conversion finished but some objects failed or
	// some lines were rejected.
	exitPartial = 3
	// exitSQL means a SQL statement was invalid (syntax, unknown column or
	// table, failed cast) or was rejected because it would write to the
	// dataset.
	exitSQL = 4
	// exitNoData means the dataset is missing or empty, or has no data in
	// the requested range, accounts and regions.
	exitNoData = 5
	// exitOutOfMemory means DuckDB ran out of memory.
	exitOutOfMemory = 6
	// exitIO means a data file could not be read.
	exitIO = 7
	// exitFindings means flowq detect found findings at or above --fail-on.
	exitFindings = 8
	// exitNotebookCell means a notebook ran but at least one cell failed.
	exitNotebookCell = 9
	// exitReportThreshold means flowq report wrote the report and the day's
	// egress is above --fail-over.
	exitReportThreshold = 10
	// exitInterrupted means the user stopped the command (Ctrl-C or SIGTERM).
	exitInterrupted = 130
)

// statusError carries an exit status and, optionally, no message of its own
// because the command already reported what happened.
type statusError struct {
	code   int
	err    error
	silent bool
}

func (e *statusError) Error() string {
	if e.err == nil {
		return "exit status " + strconv.Itoa(e.code)
	}
	return e.err.Error()
}
func (e *statusError) Unwrap() error { return e.err }

func usageError(err error) error { return &statusError{code: exitUsage, err: err} }

func isSilent(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.silent
}

// exitCode maps an error to the process's exit status in one place.
func exitCode(err error) int {
	var se *statusError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &se):
		return se.code
	case errors.Is(err, context.Canceled), errors.Is(err, convert.ErrInterrupted):
		return exitInterrupted
	case isFlagError(err):
		return exitUsage
	}
	return exitError
}
