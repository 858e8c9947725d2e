package convert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/flowq/flowq/internal/dataset"
)

// ErrInterrupted means the conversion stopped because its context ended.
// What was committed before stays, and the next run goes on from there.
var ErrInterrupted = errors.New("conversion interrupted")

// testHookBeforeManifest runs between moving a commit's files into place
// and writing its manifest line. Crash tests kill the process there.
var testHookBeforeManifest func()

// testHookAfterManifest runs between writing a commit's manifest line and
// removing the files that the commit replaced. Crash tests kill the process
// there.
var testHookAfterManifest func()

// pending is an object to convert with the fields parsed from its key.
type pending struct {
	obj  Object
	info KeyInfo
	// changed marks an object converted before whose content has changed.
	changed bool
}

// objectResult is the outcome of converting one object.
type objectResult struct {
	obj   Object
	stats objectStats
	// parts are the partitions the object's rows went to in the accumulator.
	parts []partKey
	// own are files that hold only this object's rows, spilled from memory.
	own []*outFile
	// rejects is the object's rejects file, or "" when no line was rejected.
	rejects string
	bytesIn int64
	err     error
}

// runner converts the objects of one run.
type runner struct {
	cfg    Config
	src    Source
	root   string
	man    *manifest
	acc    *accumulator
	log    *slog.Logger
	sum    *Summary
	commit string
	seq    int64
	seqMu  sync.Mutex
	// rewritten are the files of this round that replace files holding
	// rows of changed objects; replaced maps each old file to its new one.
	rewritten []*outFile
	replaced  map[string]string
	// oldRejects are the rejects files of the earlier versions of this
	// round's changed objects.
	oldRejects []string
}

// Run converts the flow-log objects of src into the dataset at cfg.Out.
// Objects the manifest lists with the same version are left alone. It
// returns the summary with a nil error when the run completed, even if some
// objects failed or some lines were rejected: the summary counts those.
func Run(ctx context.Context, src Source, config Config) (*Summary, error) {
	cfg, err := config.withDefaults()
	if err != nil {
		return nil, err
	}
	began := time.Now()
	root, err := filepath.Abs(cfg.Out)
	if err != nil {
		return nil, err
	}
	unlock, err := lockDataset(root)
	if err != nil {
		return nil, err
	}
	defer unlock()

	// Check the format before recovery, which could remove files that a
	// newer flowq names in a way this one does not know.
	format, err := dataset.ReadFormat(root)
	if err != nil {
		return nil, err
	}
	man, err := loadManifest(root)
	if err != nil {
		return nil, err
	}
	if err := recoverDataset(root, man, cfg.Logger); err != nil {
		return nil, err
	}
	if err := declareFormat(root, format, man, cfg.Logger); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, src: src, root: root, man: man, log: cfg.Logger,
		sum: &Summary{Source: src.Name(), Out: cfg.Out, ObjectsSkipped: map[string]int64{},
			RowsByTable: map[string]int64{}, UnknownFields: map[string]string{}}}

	todo, err := r.plan(ctx)
	if err != nil {
		return r.sum, err
	}
	r.log.Info("listing done", "source", src.Name(), "objects", r.sum.ObjectsListed,
		"to_convert", len(todo), "unchanged", r.sum.ObjectsUnchanged)

	err = r.convertAll(ctx, todo)
	r.sum.Duration = time.Since(began)
	return r.sum, err
}

// plan lists the source and picks the objects to convert.
func (r *runner) plan(ctx context.Context) ([]pending, error) {
	var todo []pending
	var bytes int64
	err := r.src.List(ctx, func(o Object) error {
		r.sum.ObjectsListed++
		r.cfg.Counters.Listed.Add(1)
		info, skip := ParseKey(o.Key)
		if skip != "" {
			r.sum.ObjectsSkipped[string(skip)]++
			r.log.Debug("skipping object", "key", o.Key, "reason", string(skip))
			return nil
		}
		if !inRange(info, r.cfg.Since, r.cfg.Until) {
			r.sum.ObjectsOutOfRange++
			return nil
		}
		if prev, ok := r.man.objects[o.Key]; ok {
			if prev.Version == o.Version() {
				r.sum.ObjectsUnchanged++
				return nil
			}
			r.sum.ObjectsChanged++
			r.log.Info("object changed since it was converted; converting it again",
				"key", o.Key, "was", prev.Version, "now", o.Version())
			todo = append(todo, pending{obj: o, info: info, changed: true})
			bytes += o.Size
			return nil
		}
		todo = append(todo, pending{obj: o, info: info})
		bytes += o.Size
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ErrInterrupted
		}
		return nil, fmt.Errorf("cannot list %s: %w", r.src.Name(), err)
	}
	r.cfg.Counters.ObjectsPlanned.Store(int64(len(todo)))
	r.cfg.Counters.BytesPlanned.Store(bytes)
	return todo, nil
}

// recordSlack is how long before the time in its object's name a record may
// start: one 600 s aggregation window, AWS's 60 s of capture delay, and room
// for late delivery.
const recordSlack = time.Hour

// inRange reports whether an object may hold records that start in
// [since, until). An object never holds records that start after its key's
// time, but may hold records from up to recordSlack before it, so records
// from late on one day are found in the next day's keys.
func inRange(info KeyInfo, since, until time.Time) bool {
	var first, last time.Time // the span of key times the object may have
	switch {
	case !info.FileTime.IsZero():
		first, last = info.FileTime, info.FileTime.Add(time.Minute)
	case info.Date.IsZero():
		return true
	case info.Hour >= 0:
		first = info.Date.Add(time.Duration(info.Hour) * time.Hour)
		last = first.Add(time.Hour)
	default:
		first, last = info.Date, info.Date.Add(24*time.Hour)
	}
	if !since.IsZero() && !last.After(since) {
		return false
	}
	if !until.IsZero() && !first.Add(-recordSlack).Before(until) {
		return false
	}
	return true
}

// convertAll converts the objects in rounds of about CommitBytes each and
// commits after every round.
func (r *runner) convertAll(ctx context.Context, todo []pending) error {
	for len(todo) > 0 {
		n, size := 0, int64(0)
		for n < len(todo) && (n == 0 || size+todo[n].obj.Size <= r.cfg.CommitBytes) {
			size += todo[n].obj.Size
			n++
		}
		if err := r.round(ctx, todo[:n]); err != nil {
			return err
		}
		todo = todo[n:]
	}
	return nil
}

func newCommitID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// round converts a set of objects in parallel and commits what converted.
func (r *runner) round(ctx context.Context, objs []pending) error {
	r.commit = newCommitID()
	workers := r.cfg.Workers
	accLimit := int(r.cfg.MemoryBudget / 2)
	spillAt := max(int(r.cfg.MemoryBudget)/2/workers, 4<<20)
	r.acc = newAccumulator(accLimit, r.createFile)

	// Rows of the earlier versions of changed objects are dropped by
	// rewriting the files that hold them.
	drop := map[string]bool{}
	var affected []string
	r.oldRejects = nil
	for _, p := range objs {
		if p.changed {
			prev := r.man.objects[p.obj.Key]
			drop[p.obj.Key] = true
			affected = append(affected, prev.Files...)
			if prev.RejectsFile != "" {
				r.oldRejects = append(r.oldRejects, prev.RejectsFile)
			}
		}
	}
	r.rewritten, r.replaced = nil, nil
	if len(drop) > 0 {
		slices.Sort(affected)
		var err error
		r.rewritten, r.replaced, err = r.rewriteWithout(drop, slices.Compact(affected))
		if err != nil {
			return err
		}
	}

	results := make([]*objectResult, len(objs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range objs {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			res := r.convertObject(gctx, objs[i], spillAt)
			results[i] = res
			if res.err != nil && gctx.Err() != nil {
				return gctx.Err()
			}
			// A failure to write the dataset stops the run; a bad object does not.
			var we *writeError
			if errors.As(res.err, &we) {
				return res.err
			}
			return nil
		})
	}
	err := g.Wait()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		r.discard(results)
		if ctx.Err() != nil {
			return ErrInterrupted
		}
		return err
	}
	return r.commitRound(results)
}

// writeError marks a failure to write the dataset, as opposed to a failure
// to read one object.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// createFile starts a data file for a partKey in the current commit.
func (r *runner) createFile(k partKey, s fileSchema) (*outFile, error) {
	f, err := r.createFileIn(k.partition().Dir(s.table.Name), s)
	if err != nil {
		return nil, err
	}
	f.key = k
	return f, nil
}

// createFileIn starts a data file of the current commit in a partition
// folder given relative to the dataset root.
func (r *runner) createFileIn(dir string, s fileSchema) (*outFile, error) {
	r.seqMu.Lock()
	r.seq++
	seq := r.seq
	r.seqMu.Unlock()
	rel := path.Join(dir, dataFileName(r.commit, seq, s))
	tmp := filepath.Join(r.root, filepath.FromSlash(rel)) + dataset.TempSuffix
	pf, err := createPartFile(tmp, s, writerOptions{ZstdLevel: r.cfg.ZstdLevel})
	if err != nil {
		return nil, &writeError{fmt.Errorf("cannot create data file %s: %w", tmp, err)}
	}
	return &outFile{pf: pf, table: s.table.Name, final: rel}, nil
}

// dataFileName returns the name of data file seq of a commit. A file with
// columns beyond its table's schema ends in dataset.ExtraFileSuffix, so
// that readers know to merge it with the others by column name.
func dataFileName(commit string, seq int64, s fileSchema) string {
	ext := dataset.DataFileExt
	if len(s.extra) > 0 {
		ext = dataset.ExtraFileSuffix
	}
	return fmt.Sprintf("%s-%d%s", commit, seq, ext)
}

// discard removes everything a failed round wrote.
func (r *runner) discard(results []*objectResult) {
	r.acc.abort()
	for _, f := range r.rewritten {
		f.pf.abort()
	}
	for _, res := range results {
		if res == nil {
			continue
		}
		for _, f := range res.own {
			f.pf.abort()
		}
		if res.rejects != "" {
			os.Remove(filepath.Join(r.root, filepath.FromSlash(res.rejects)) + dataset.TempSuffix)
		}
	}
}

// commitRound makes a round durable: a pending marker first, then data
// files, rejects files and one manifest line. Until the manifest line is
// written the round's files are unreferenced, and a later run removes them
// because of the marker.
func (r *runner) commitRound(results []*objectResult) error {
	files, err := r.acc.finish()
	if err != nil {
		r.discard(results)
		return &writeError{err}
	}
	byKey := map[partKey][]string{}
	for _, f := range files {
		byKey[f.key] = append(byKey[f.key], f.final)
	}
	commit := &manifestCommit{Commit: r.commit, Time: time.Now().UTC(), Source: r.src.Name(),
		Replaced: r.replaced, RemovedRejects: r.oldRejects}
	files = append(files, r.rewritten...)
	for _, f := range files {
		commit.Files = append(commit.Files, f.final)
	}
	var failed []*objectResult
	for _, res := range results {
		if res.err != nil {
			failed = append(failed, res)
			continue
		}
		entry := ManifestObject{Key: res.obj.Key, Version: res.obj.Version(), Size: res.obj.Size,
			Rows: res.stats.Rows, Rejects: res.stats.Rejects, Time: commit.Time}
		for _, k := range res.parts {
			entry.Files = append(entry.Files, byKey[k]...)
		}
		for _, f := range res.own {
			entry.Files = append(entry.Files, f.final)
			commit.Files = append(commit.Files, f.final)
			files = append(files, f)
		}
		slices.Sort(entry.Files)
		entry.Files = slices.Compact(entry.Files)
		if res.rejects != "" {
			commit.Rejects = append(commit.Rejects, res.rejects)
			entry.RejectsFile = res.rejects
		}
		commit.Objects = append(commit.Objects, entry)
	}

	if len(commit.Objects) == 0 {
		// Every object of the round failed, so no manifest line would list
		// the files rewritten for its changed objects. Drop them and keep
		// the files they would have replaced.
		for _, f := range files {
			f.pf.abort()
		}
		r.tallyRound(results, failed)
		return nil
	}
	if err := markPending(r.root, r.commit); err != nil {
		return &writeError{err}
	}

	// Data files: rename each into place and sync the folders.
	dirs := map[string]bool{}
	for _, f := range files {
		final := filepath.Join(r.root, filepath.FromSlash(f.final))
		if err := os.Rename(f.pf.path(), final); err != nil {
			return &writeError{fmt.Errorf("cannot move data file into place: %w", err)}
		}
		dirs[filepath.Dir(final)] = true
		if st, err := os.Stat(final); err == nil {
			r.sum.BytesOut += st.Size()
		}
	}
	for _, rel := range commit.Rejects {
		final := filepath.Join(r.root, filepath.FromSlash(rel))
		if err := os.Rename(final+dataset.TempSuffix, final); err != nil {
			return &writeError{fmt.Errorf("cannot move rejects file into place: %w", err)}
		}
		dirs[filepath.Dir(final)] = true
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return &writeError{err}
		}
	}
	if testHookBeforeManifest != nil {
		testHookBeforeManifest()
	}
	if err := r.man.append(commit); err != nil {
		return &writeError{err}
	}
	if err := clearPending(r.root, r.commit); err != nil {
		r.log.Warn("cannot remove the pending marker of a commit; the next conversion removes it", "commit", r.commit, "err", err)
	}
	if testHookAfterManifest != nil {
		testHookAfterManifest()
	}
	// The replaced files are no longer referenced; a crash before they are
	// removed leaves them to the next run's recovery, which finds them in
	// the manifest.
	removed := slices.Collect(maps.Keys(commit.Replaced))
	for _, old := range append(removed, commit.RemovedRejects...) {
		if err := os.Remove(filepath.Join(r.root, filepath.FromSlash(old))); err != nil {
			r.log.Warn("cannot remove a replaced file; the next conversion removes it", "path", old, "err", err)
		}
	}
	r.sum.FilesWritten += int64(len(commit.Files))
	r.sum.RejectsFiles = append(r.sum.RejectsFiles, commit.Rejects...)
	r.tallyRound(results, failed)
	return nil
}

// tallyRound adds the outcomes of a round to the summary and
// removes the spilled files of the objects that failed.
func (r *runner) tallyRound(results, failed []*objectResult) {
	for _, res := range results {
		r.tally(res)
	}
	sort.Slice(r.sum.Failures, func(i, j int) bool { return r.sum.Failures[i].Key < r.sum.Failures[j].Key })
	for _, res := range failed {
		for _, f := range res.own {
			f.pf.abort()
		}
	}
}

// tally adds one object's outcome to the summary.
func (r *runner) tally(res *objectResult) {
	s := r.sum
	if res.err != nil {
		s.ObjectsFailed++
		s.Failures = append(s.Failures, ObjectFailure{Key: res.obj.Key, Error: res.err.Error()})
		return
	}
	s.ObjectsConverted++
	s.BytesIn += res.bytesIn
	s.Rows += res.stats.Rows
	s.RowsRejected += res.stats.Rejects
	for t, n := range res.stats.Tables {
		s.RowsByTable[t] += n
	}
	s.MillisecondTimes += res.stats.MillisTimes
	s.KeyTimeRows += res.stats.KeyTimeRows
	for _, u := range res.stats.Unknown {
		if _, ok := s.UnknownFields[u]; !ok {
			s.UnknownFields[u] = res.obj.Key
			r.log.Warn("unknown field kept as a string column", "field", u, "column", dataset.ColumnName(u), "key", res.obj.Key)
		}
	}
}

// bytesCounter counts the bytes read through it into a shared counter.
type bytesCounter struct {
	r io.Reader
	n *int64
	c *Counters
}

func (b *bytesCounter) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	*b.n += int64(n)
	b.c.BytesIn.Add(int64(n))
	return n, err
}
