package convert

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"
)

// Config tunes a conversion. The zero value of each field means its default.
type Config struct {
	// Out is the dataset's root folder. Required.
	Out string
	// Workers is the number of objects converted at once; default: the number of CPUs.
	Workers int
	// Since and Until select objects whose key dates may hold records that
	// start in [Since, Until). Zero means unbounded.
	Since, Until time.Time
	// MemoryBudget bounds the bytes of rows buffered in memory; default 256 MiB.
	MemoryBudget int64
	// CommitBytes is the input, in bytes as stored, converted between two
	// commits to the manifest; default 1 GiB.
	CommitBytes int64
	// ZstdLevel is the zstd level of the data files; default 1, the fastest.
	ZstdLevel int
	// Logger takes warnings and debug details; default: discard.
	Logger *slog.Logger
	// Counters, when set, is updated as the conversion goes, for progress display.
	Counters *Counters
}

// Counters are live totals of a running conversion, safe to read from any
// goroutine while it runs.
type Counters struct {
	// ObjectsPlanned and BytesPlanned are set once the listing ends.
	ObjectsPlanned atomic.Int64
	BytesPlanned   atomic.Int64
	ObjectsDone    atomic.Int64
	ObjectsFailed  atomic.Int64
	// BytesIn counts bytes read from the source, as stored.
	BytesIn      atomic.Int64
	Rows         atomic.Int64
	RowsRejected atomic.Int64
	// Listed counts objects seen by the listing so far.
	Listed atomic.Int64
}

const (
	defaultMemoryBudget = 256 << 20
	defaultCommitBytes  = 1 << 30
)

func (c *Config) withDefaults() (Config, error) {
	out := *c
	if out.Out == "" {
		return out, errors.New("no output folder given")
	}
	if out.Workers <= 0 {
		out.Workers = runtime.NumCPU()
	}
	if out.MemoryBudget <= 0 {
		out.MemoryBudget = defaultMemoryBudget
	}
	if out.CommitBytes <= 0 {
		out.CommitBytes = defaultCommitBytes
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	if out.Counters == nil {
		out.Counters = &Counters{}
	}
	if !out.Since.IsZero() && !out.Until.IsZero() && !out.Until.After(out.Since) {
		return out, fmt.Errorf("the end of the range %s is not after its start %s", out.Until.Format(time.RFC3339), out.Since.Format(time.RFC3339))
	}
	return out, nil
}

// Summary is the outcome of a conversion.
type Summary struct {
	Source string `json:"source"`
	Out    string `json:"out"`
	// ObjectsListed counts every object the listing returned.
	ObjectsListed int64 `json:"objects_listed"`
	// ObjectsConverted counts objects converted in this run.
	ObjectsConverted int64 `json:"objects_converted"`
	// ObjectsUnchanged counts objects the manifest shows as converted already.
	ObjectsUnchanged int64 `json:"objects_unchanged"`
	// ObjectsOutOfRange counts objects whose key dates fall outside Since and Until.
	ObjectsOutOfRange int64 `json:"objects_out_of_range"`
	// ObjectsSkipped counts objects that are not flow logs, by reason.
	ObjectsSkipped map[string]int64 `json:"objects_skipped"`
	ObjectsFailed  int64            `json:"objects_failed"`
	Failures       []ObjectFailure  `json:"failures,omitempty"`
	// ObjectsChanged counts objects converted before whose content has changed since.
	ObjectsChanged int64            `json:"objects_changed"`
	Rows           int64            `json:"rows"`
	RowsByTable    map[string]int64 `json:"rows_by_table"`
	RowsRejected   int64            `json:"rows_rejected"`
	// RejectsFiles lists the rejects files written, relative to Out.
	RejectsFiles []string `json:"rejects_files,omitempty"`
	// BytesIn counts bytes read from the source as stored; BytesOut counts data files written.
	BytesIn      int64 `json:"bytes_in"`
	BytesOut     int64 `json:"bytes_out"`
	FilesWritten int64 `json:"files_written"`
	// UnknownFields lists header fields flowq does not know, each with the first object that had it.
	UnknownFields map[string]string `json:"unknown_fields,omitempty"`
	// MillisecondTimes counts start and end values given in milliseconds.
	MillisecondTimes int64 `json:"millisecond_times"`
	// KeyTimeRows counts rows without start and end, placed by their object's time.
	KeyTimeRows int64         `json:"key_time_rows"`
	Duration    time.Duration `json:"duration_ns"`
}

// ObjectFailure is an object that contributed no rows because it could not be read whole.
type ObjectFailure struct {
	Key   string `json:"key"`
	Error string `json:"error"`
}
