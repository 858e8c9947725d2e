package convert

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flowq/flowq/internal/dataset"
)

// convertObject reads one object whole into the accumulator. On any error
// the object contributes nothing: its own files and rejects are removed by
// the caller, and its batches never reach the accumulator.
func (r *runner) convertObject(ctx context.Context, p pending, spillAt int) *objectResult {
	res := &objectResult{obj: p.obj}
	spill := func(k partKey, b *batch) error {
		f, err := r.createFile(k, b.schema)
		if err != nil {
			return err
		}
		res.own = append(res.own, f)
		return writeAndClose(f, b)
	}
	sink := newObjectSink(spillAt, spill)
	rej := &rejectsWriter{root: r.root, rel: r.rejectsPath(p.obj.Key)}

	err := r.readObject(ctx, p, sink, rej, res)
	if err == nil && sink.err != nil {
		err = sink.err
	}
	if cerr := rej.close(); err == nil && cerr != nil {
		err = &writeError{cerr}
	}
	if err != nil {
		res.err = err
		for _, f := range res.own {
			f.pf.abort()
		}
		res.own = nil
		rej.remove()
		r.cfg.Counters.ObjectsFailed.Add(1)
		r.log.Warn("object failed", "key", p.obj.Key, "err", err)
		return res
	}
	if rej.n > 0 {
		res.rejects = rej.rel
	}
	for k, b := range sink.parts {
		b.complete()
		if b.rows > 0 {
			res.parts = append(res.parts, k)
		}
	}
	if err := r.acc.add(sink.parts); err != nil {
		res.err = &writeError{err}
		return res
	}
	r.cfg.Counters.ObjectsDone.Add(1)
	r.cfg.Counters.Rows.Add(res.stats.Rows)
	r.cfg.Counters.RowsRejected.Add(res.stats.Rejects)
	return res
}

// readObject opens, decodes and parses one object into sink.
func (r *runner) readObject(ctx context.Context, p pending, sink *objectSink, rej *rejectsWriter, res *objectResult) error {
	rc, err := r.src.Open(ctx, p.obj)
	if err != nil {
		return err
	}
	defer rc.Close()
	counted := &bytesCounter{r: rc, n: &res.bytesIn, c: r.cfg.Counters}
	enc, br, err := sniff(counted)
	if err != nil {
		return fmt.Errorf("cannot read the first bytes: %w", err)
	}
	parser := newLineParser(p.obj, p.info, sink, rej.write)
	defer func() { res.stats = parser.stats }()

	if enc == encParquet {
		return r.readParquetObject(ctx, br, parser)
	}
	if p.info.Format == FormatParquet {
		return fmt.Errorf("the name ends in .parquet but the content is %s, not Parquet", enc)
	}
	text, err := textReader(enc, br)
	if err != nil {
		return err
	}
	defer text.Close()
	if err := parser.parseText(&ctxReader{ctx: ctx, r: text}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return describeReadError(enc, err)
	}
	return nil
}

// describeReadError words a decoding failure for the user.
func describeReadError(enc encoding, err error) error {
	var we *writeError
	if errors.As(err, &we) {
		return err
	}
	msg := err.Error()
	switch {
	case errors.Is(err, errNotFlowLog):
		return fmt.Errorf("%w; the object is not a flow-log file", err)
	case enc == encGzip && (strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "gzip")):
		return fmt.Errorf("%s data is truncated or corrupt (%w); no rows of this object were kept, download it again or remove it", enc, err)
	}
	return err
}

// ctxReader stops a long read when the context ends.
type ctxReader struct {
	ctx context.Context
	r   interface{ Read([]byte) (int, error) }
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// rejectsPath returns the rejects file of an object in the current commit,
// relative to the dataset root.
func (r *runner) rejectsPath(key string) string {
	r.seqMu.Lock()
	r.seq++
	seq := r.seq
	r.seqMu.Unlock()
	return fmt.Sprintf("%s/%s-%d.jsonl", dataset.RejectsDir, r.commit, seq)
}

// rejectsWriter writes one object's rejected lines as JSON lines to a
// temporary file, created on the first reject.
type rejectsWriter struct {
	root string
	rel  string
	f    *os.File
	w    *bufio.Writer
	n    int
}

func (w *rejectsWriter) tmpPath() string {
	return filepath.Join(w.root, filepath.FromSlash(w.rel)) + dataset.TempSuffix
}

func (w *rejectsWriter) write(r Reject) error {
	if w.f == nil {
		path := w.tmpPath()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return &writeError{err}
		}
		f, err := os.Create(path)
		if err != nil {
			return &writeError{fmt.Errorf("cannot create rejects file: %w", err)}
		}
		w.f, w.w = f, bufio.NewWriter(f)
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	w.n++
	if _, err := w.w.Write(append(line, '\n')); err != nil {
		return &writeError{fmt.Errorf("cannot write rejects file: %w", err)}
	}
	return nil
}

func (w *rejectsWriter) close() error {
	if w.f == nil {
		return nil
	}
	err := w.w.Flush()
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (w *rejectsWriter) remove() {
	if w.f != nil {
		os.Remove(w.tmpPath())
	}
}
