package convert

import (
	"fmt"
	"sort"
	"sync"
)

// rowGroupRows is the number of rows after which a partition's buffered rows
// are written as one row group. Row groups of this size let readers skip
// most of a file by its start and end statistics.
const rowGroupRows = 1 << 18

// outFile is a data file written in the current commit.
type outFile struct {
	pf    partFile
	table string
	// final is the file's path relative to the dataset root once committed.
	final string
	key   partKey
	rows  int64
}

// accPart buffers the rows of one partKey from many objects, so that many
// small objects end up in few files.
type accPart struct {
	mu      sync.Mutex // guards batches, rows and mem; never held while taking accumulator.mu
	key     partKey
	schema  fileSchema
	batches []*batch
	rows    int
	mem     int
}

// accumulator merges the rows of converted objects into per-partition files.
// Memory stays under limit: when it is exceeded the largest partitions are
// written out as row groups.
type accumulator struct {
	newFile func(k partKey, s fileSchema) (*outFile, error)

	mu    sync.Mutex // guards parts, mem, files
	parts map[partKey]*accPart
	mem   int
	limit int
	files []*outFile
}

func newAccumulator(limit int, newFile func(partKey, fileSchema) (*outFile, error)) *accumulator {
	return &accumulator{parts: map[partKey]*accPart{}, limit: limit, newFile: newFile}
}

// add takes the batches of one converted object. It returns the partitions
// the object's rows went to.
func (a *accumulator) add(parts map[partKey]*batch) error {
	var full []*accPart
	a.mu.Lock()
	for k, b := range parts {
		if b.rows == 0 {
			continue
		}
		p := a.parts[k]
		if p == nil {
			p = &accPart{key: k, schema: b.schema}
			a.parts[k] = p
		}
		size := b.memSize()
		p.mu.Lock()
		p.batches = append(p.batches, b)
		p.rows += b.rows
		p.mem += size
		if p.rows >= rowGroupRows {
			full = append(full, p)
		}
		p.mu.Unlock()
		a.mem += size
	}
	var victims []*accPart
	if a.mem > a.limit {
		victims = a.largestLocked(a.mem - a.limit/2)
	}
	a.mu.Unlock()

	for _, p := range append(full, victims...) {
		if err := a.flush(p); err != nil {
			return err
		}
	}
	return nil
}

// largestLocked picks the largest partitions until they hold need bytes.
func (a *accumulator) largestLocked(need int) []*accPart {
	all := make([]*accPart, 0, len(a.parts))
	for _, p := range a.parts {
		all = append(all, p)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].mem > all[j].mem })
	var out []*accPart
	for _, p := range all {
		if need <= 0 {
			break
		}
		out = append(out, p)
		need -= p.mem
	}
	return out
}

// flush writes a partition's buffered rows, sorted by start, to a data file
// of their own and closes it. Files are not kept open between flushes: an
// open Parquet writer holds page and dictionary buffers for every column,
// and a run may touch hundreds of partitions.
func (a *accumulator) flush(p *accPart) error {
	// Take the rows under p.mu only, and release it before a.mu: add holds
	// a.mu while it takes p.mu, so holding both the other way deadlocks.
	p.mu.Lock()
	batches, mem := p.batches, p.mem
	// Drop the batches, not just the slice length: the old elements would
	// keep every flushed row reachable.
	p.batches, p.rows, p.mem = nil, 0, 0
	p.mu.Unlock()
	if len(batches) == 0 {
		return nil
	}

	merged := batches[0]
	if len(batches) > 1 {
		merged = mergeBatches(batches)
	}
	f, err := a.newFile(p.key, p.schema)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.files = append(a.files, f)
	a.mu.Unlock()
	if err := writeAndClose(f, merged); err != nil {
		return err
	}
	a.mu.Lock()
	a.mem -= mem
	a.mu.Unlock()
	return nil
}

// finish writes every buffered row and closes every file. It returns the
// files written since the accumulator was made and clears its list of them.
func (a *accumulator) finish() ([]*outFile, error) {
	a.mu.Lock()
	parts := make([]*accPart, 0, len(a.parts))
	for _, p := range a.parts {
		parts = append(parts, p)
	}
	a.mu.Unlock()
	for _, p := range parts {
		if err := a.flush(p); err != nil {
			return nil, err
		}
	}
	a.mu.Lock()
	files := a.files
	a.files, a.parts, a.mem = nil, map[partKey]*accPart{}, 0
	a.mu.Unlock()
	return files, nil
}

// writeAndClose writes a batch sorted by start to a new data file and
// completes the file.
func writeAndClose(f *outFile, b *batch) error {
	if err := f.pf.write(b, b.sortOrder()); err != nil {
		return &writeError{fmt.Errorf("cannot write %s: %w", f.final, err)}
	}
	if err := f.pf.close(); err != nil {
		return &writeError{fmt.Errorf("cannot finish %s: %w", f.final, err)}
	}
	f.rows += int64(b.rows)
	return nil
}

// abort removes every file written since the accumulator was made.
func (a *accumulator) abort() {
	a.mu.Lock()
	files := a.files
	a.files, a.parts, a.mem = nil, map[partKey]*accPart{}, 0
	a.mu.Unlock()
	for _, f := range files {
		f.pf.abort()
	}
}
