package query

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowq/flowq/internal/dataset"
)

// RecordSpan is the longest time that one flow-log record may span from its
// start to its end. AWS aggregates over at most 600 s and may report a
// start up to 60 s late, so an hour is a wide margin. A time range reads
// the partition hour before its start for records that begin earlier and
// still overlap it.
const RecordSpan = time.Hour

// Filter selects the records that the engine's views show: those whose
// [start, end] overlaps the half-open range [Since, Until), of the listed
// accounts and regions. Zero times and empty lists do not filter.
type Filter struct {
	Since, Until time.Time
	Accounts     []string
	Regions      []string
}

// firstHour and lastHour bound the partition hours that can hold records
// of the filter's range.
func (f Filter) firstHour() time.Time {
	return f.Since.UTC().Add(-RecordSpan).Truncate(time.Hour)
}

func (f Filter) lastHour() time.Time {
	return f.Until.UTC().Add(-time.Nanosecond).Truncate(time.Hour)
}

// KeepPartition reports whether a partition can hold records of the filter.
func (f Filter) KeepPartition(p PartitionKey) bool {
	if len(f.Accounts) > 0 && !slices.Contains(f.Accounts, p.Account) {
		return false
	}
	if len(f.Regions) > 0 && !slices.Contains(f.Regions, p.Region) {
		return false
	}
	if !f.Since.IsZero() && p.Hour.Before(f.firstHour()) {
		return false
	}
	if !f.Until.IsZero() && p.Hour.After(f.lastHour()) {
		return false
	}
	return true
}

// keepDate reports whether any hour of a date partition can pass KeepPartition.
func (f Filter) keepDate(day time.Time) bool {
	if !f.Since.IsZero() && day.Add(23*time.Hour).Before(f.firstHour()) {
		return false
	}
	if !f.Until.IsZero() && day.After(f.lastHour()) {
		return false
	}
	return true
}

func (f Filter) keepAccount(a string) bool {
	return len(f.Accounts) == 0 || slices.Contains(f.Accounts, a)
}

func (f Filter) keepRegion(r string) bool {
	return len(f.Regions) == 0 || slices.Contains(f.Regions, r)
}

// validate checks the filter's range.
func (f Filter) validate() error {
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return fmt.Errorf("query: the end of the range %s is not after its start %s",
			f.Until.UTC().Format(time.RFC3339), f.Since.UTC().Format(time.RFC3339))
	}
	return nil
}

// describe returns the filter in words for error messages.
func (f Filter) describe() string {
	var parts []string
	if !f.Since.IsZero() {
		parts = append(parts, "since "+f.Since.UTC().Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		parts = append(parts, "until "+f.Until.UTC().Format(time.RFC3339))
	}
	if len(f.Accounts) > 0 {
		parts = append(parts, "accounts "+strings.Join(f.Accounts, ","))
	}
	if len(f.Regions) > 0 {
		parts = append(parts, "regions "+strings.Join(f.Regions, ","))
	}
	if len(parts) == 0 {
		return "no filter"
	}
	return strings.Join(parts, ", ")
}

// PartitionKey is the value of a partition folder's keys.
type PartitionKey struct {
	Account string
	Region  string
	// Hour is the UTC hour the partition covers.
	Hour time.Time
}

// ParsePartitionDir reads the keys of a partition folder given as
// "account_id=…/region=…/date=YYYY-MM-DD/hour=HH", relative to a table
// folder and slash-separated.
func ParsePartitionDir(dir string) (PartitionKey, error) {
	parts := strings.Split(dir, "/")
	if len(parts) != 4 {
		return PartitionKey{}, fmt.Errorf("partition folder %q: expected account_id=…/region=…/date=…/hour=…", dir)
	}
	account, err := partitionValue(parts[0], dataset.PartAccount)
	if err != nil {
		return PartitionKey{}, err
	}
	region, err := partitionValue(parts[1], dataset.PartRegion)
	if err != nil {
		return PartitionKey{}, err
	}
	day, err := parseDatePart(parts[2])
	if err != nil {
		return PartitionKey{}, err
	}
	hour, err := parseHourPart(parts[3])
	if err != nil {
		return PartitionKey{}, err
	}
	return PartitionKey{Account: account, Region: region, Hour: day.Add(time.Duration(hour) * time.Hour)}, nil
}

// partitionValue returns the unescaped value of a "key=value" folder name.
func partitionValue(name, key string) (string, error) {
	v, ok := strings.CutPrefix(name, key+"=")
	if !ok {
		return "", fmt.Errorf("partition folder %q: expected %s=…", name, key)
	}
	if v == "__HIVE_DEFAULT_PARTITION__" {
		return "", nil
	}
	u, err := url.PathUnescape(v)
	if err != nil {
		return "", fmt.Errorf("partition folder %q: %w", name, err)
	}
	return u, nil
}

func parseDatePart(name string) (time.Time, error) {
	v, err := partitionValue(name, dataset.PartDate)
	if err != nil {
		return time.Time{}, err
	}
	day, err := time.Parse(dataset.DateLayout, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("partition folder %q: invalid date: %w", name, err)
	}
	return day, nil
}

func parseHourPart(name string) (int, error) {
	v, err := partitionValue(name, dataset.PartHour)
	if err != nil {
		return 0, err
	}
	h, err := strconv.Atoi(v)
	if err != nil || h < 0 || h > 23 {
		return 0, fmt.Errorf("partition folder %q: invalid hour %q", name, v)
	}
	return h, nil
}

// Plan lists the data files that the engine's views read, chosen from the
// partition folders by the engine's Filter before DuckDB opens any file.
type Plan struct {
	// Tables holds one entry per table of the dataset, by name.
	Tables map[string]*TablePlan
	// DatasetFiles counts the data files of every table and partition,
	// selected or not. It is counted only when no partition is selected,
	// to tell an empty dataset from an empty range, and is -1 otherwise.
	DatasetFiles int
	// Format is the dataset's format version from dataset.FormatFile, or 1
	// when the dataset lacks that file.
	Format int
}

// TablePlan is the selection of one table.
type TablePlan struct {
	Table string
	// Partitions lists the selected partition folders that hold data files,
	// relative to the table folder, such as
	// "account_id=012345678901/region=us-east-1/date=2026-11-01/hour=03".
	Partitions []string
	// Files counts the data files of the selected partitions.
	Files int
	// ExtraFiles counts the data files among Files whose names end in
	// dataset.ExtraFileSuffix: those with columns beyond the table's.
	ExtraFiles int
	// Paths lists the files or globs passed to read_parquet, absolute.
	Paths []string
}

func (p *Plan) selectedFiles() int {
	n := 0
	for _, t := range p.Tables {
		n += t.Files
	}
	return n
}

// planDataset lists the partition folders of every table under root and
// selects those that the filter keeps. Folders outside the filter are
// skipped by name, without reading them, so the cost of a narrow range
// does not grow with the dataset's size.
func planDataset(root string, f Filter) (*Plan, error) {
	format, err := dataset.ReadFormat(root)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	plan := &Plan{Tables: map[string]*TablePlan{}, DatasetFiles: -1, Format: format}
	for _, t := range dataset.Tables {
		tp := &TablePlan{Table: t.Name}
		plan.Tables[t.Name] = tp
		if err := planTable(root, t.Name, f, tp); err != nil {
			return nil, err
		}
	}
	if plan.selectedFiles() == 0 {
		n, err := countDataFiles(root)
		if err != nil {
			return nil, err
		}
		plan.DatasetFiles = n
	}
	return plan, nil
}

func planTable(root, table string, f Filter, tp *TablePlan) error {
	tableDir := filepath.Join(root, table)
	accounts, err := readDirNames(tableDir)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		account, err := partitionValue(a, dataset.PartAccount)
		if err != nil || !f.keepAccount(account) {
			continue
		}
		regions, err := readDirNames(filepath.Join(tableDir, a))
		if err != nil {
			return err
		}
		for _, r := range regions {
			region, err := partitionValue(r, dataset.PartRegion)
			if err != nil || !f.keepRegion(region) {
				continue
			}
			if err := planDates(tableDir, path.Join(a, r), f, tp); err != nil {
				return err
			}
		}
	}
	return nil
}

func planDates(tableDir, accountRegion string, f Filter, tp *TablePlan) error {
	dates, err := readDirNames(filepath.Join(tableDir, filepath.FromSlash(accountRegion)))
	if err != nil {
		return err
	}
	for _, d := range dates {
		day, err := parseDatePart(d)
		if err != nil || !f.keepDate(day) {
			continue
		}
		hours, err := readDirNames(filepath.Join(tableDir, filepath.FromSlash(accountRegion), d))
		if err != nil {
			return err
		}
		for _, h := range hours {
			rel := path.Join(accountRegion, d, h)
			key, err := ParsePartitionDir(rel)
			if err != nil || !f.KeepPartition(key) {
				continue
			}
			dir := filepath.Join(tableDir, filepath.FromSlash(rel))
			n, extra, err := countParquet(dir)
			if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			tp.Partitions = append(tp.Partitions, rel)
			tp.Files += n
			tp.ExtraFiles += extra
		}
	}
	return nil
}

// readDirNames returns the names of the folders in dir, sorted; a missing
// dir has none.
func readDirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("query: list dataset folder %q: %w", dir, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), "_") && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// countParquet counts the finished data files in a partition folder, and
// among them the files with extra columns.
func countParquet(dir string) (files, extra int, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("query: list partition folder %q: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), dataset.DataFileExt) {
			continue
		}
		files++
		if strings.HasSuffix(e.Name(), dataset.ExtraFileSuffix) {
			extra++
		}
	}
	return files, extra, nil
}

// countDataFiles counts every data file of every table under root.
func countDataFiles(root string) (int, error) {
	total := 0
	for _, t := range dataset.Tables {
		matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(dataset.TableGlob(t.Name))))
		if err != nil {
			return 0, fmt.Errorf("query: list the data files of %q: %w", t.Name, err)
		}
		total += len(matches)
	}
	return total, nil
}
