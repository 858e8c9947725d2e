package dataset

import (
	"fmt"
	"path"
	"time"
)

// Table folders below the dataset root.
const (
	// FlowsTable holds VPC flow-log records.
	FlowsTable = "flows"
	// TGWFlowsTable holds Transit Gateway flow-log records.
	TGWFlowsTable = "tgw_flows"
)

// Partition keys, in folder order: <table>/account_id=…/region=…/date=…/hour=…/.
const (
	PartAccount = "account_id"
	PartRegion  = "region"
	PartDate    = "date"
	PartHour    = "hour"
)

// Files and folders that describe the dataset rather than hold records.
// Their names start with an underscore, which Hive-style readers (DuckDB,
// Athena, Spark) skip when they list a table's partitions.
const (
	// MetaDir is the folder of flowq's own bookkeeping.
	MetaDir = "_flowq"
	// ManifestFile records each converted source object, one commit a line.
	ManifestFile = "_flowq/manifest.jsonl"
	// RejectsDir holds the rejected lines of each commit as JSON lines.
	RejectsDir = "_flowq/rejects"
	// LockFile keeps two conversions from writing one dataset at once.
	LockFile = "_flowq/lock"
	// PendingDir holds one empty file per commit, named after the commit
	// id, from before the commit puts any file in place until its manifest
	// line is durable. Recovery removes unlisted files of these commits only.
	PendingDir = "_flowq/pending"
	// FormatFile holds the dataset's format version as a decimal number
	// and a newline. A dataset without it was written by format 1.
	FormatFile = "_flowq/format"
)

// Format is the version of the dataset layout that this flowq writes.
// Format 2 added the derived columns src_private and dst_private. In a
// dataset whose FormatFile holds Format, every data file has exactly its
// table's columns, except files whose names end in ExtraFileSuffix.
const Format = 2

// ExtraFileSuffix ends the name of a data file that holds string columns
// beyond its table's schema, for header fields that flowq does not know.
// Readers must merge such files with the others by column name.
const ExtraFileSuffix = ".extra" + DataFileExt

// DataFileExt ends every data file. Files being written end in
// DataFileExt + TempSuffix, which no reader's "*.parquet" glob matches.
const (
	DataFileExt = ".parquet"
	TempSuffix  = ".tmp"
)

// DateLayout is the Go time layout of the date partition value.
const DateLayout = "2006-01-02"

// Partition names one leaf folder of a table.
type Partition struct {
	Account string
	Region  string
	// Hour is the UTC hour that the partition covers, truncated to the hour.
	Hour time.Time
}

// Dir returns the partition's folder relative to the dataset root, with
// slashes as separators.
func (p Partition) Dir(table string) string {
	h := p.Hour.UTC()
	return path.Join(table,
		PartAccount+"="+escapeValue(p.Account),
		PartRegion+"="+escapeValue(p.Region),
		PartDate+"="+h.Format(DateLayout),
		fmt.Sprintf("%s=%02d", PartHour, h.Hour()))
}

// TableGlob returns the glob, relative to the dataset root, that matches
// every data file of a table.
func TableGlob(table string) string {
	return table + "/*/*/*/*/*" + DataFileExt
}

// escapeValue makes a partition value safe as one path element. Real account
// ids and region names never need it. It guards against a hostile or broken
// record putting a slash or a dot-dot into a folder name.
func escapeValue(v string) string {
	if v == "" {
		return "__HIVE_DEFAULT_PARTITION__"
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			out = append(out, c)
		case c == '.' && i > 0:
			out = append(out, c)
		default:
			out = append(out, fmt.Sprintf("%%%02X", c)...)
		}
	}
	return string(out)
}
