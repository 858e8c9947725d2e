package convert

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/flowq/flowq/internal/dataset"
)

// An object whose content changed after it was converted (a new ETag, or a
// new size or time for local files) is converted again. Its earlier rows
// share files with other objects' rows, so each such file is rewritten
// without them in the same commit: the manifest line names the replaced
// files, and they are removed once the line is written.

// rewriteWithout writes, for each data file in files, a new file of the
// current commit that holds every row whose source_key is not in drop. It
// returns the new files, and for each old file its replacement ("" when no
// row is left).
func (r *runner) rewriteWithout(drop map[string]bool, files []string) ([]*outFile, map[string]string, error) {
	replaced := map[string]string{}
	var written []*outFile
	for _, rel := range files {
		b, err := readDataFile(filepath.Join(r.root, filepath.FromSlash(rel)), rel, drop)
		if err != nil {
			for _, f := range written {
				f.pf.abort()
			}
			return nil, nil, err
		}
		replaced[rel] = ""
		if b.rows == 0 {
			continue
		}
		f, err := r.createFileIn(path.Dir(rel), b.schema)
		if err != nil {
			return nil, nil, err
		}
		written = append(written, f)
		if err := f.pf.write(b, b.sortOrder()); err != nil {
			return nil, nil, &writeError{fmt.Errorf("cannot rewrite %s: %w", rel, err)}
		}
		if err := f.pf.close(); err != nil {
			return nil, nil, &writeError{fmt.Errorf("cannot rewrite %s: %w", rel, err)}
		}
		f.rows = int64(b.rows)
		replaced[rel] = f.final
	}
	return written, replaced, nil
}

// readDataFile reads a data file that flowq wrote into one batch, leaving
// out the rows of the source keys in drop. The file may come from an
// earlier flowq and lack the derived columns.
func readDataFile(file, rel string, drop map[string]bool) (*batch, error) {
	table := dataset.Flows
	if strings.HasPrefix(rel, dataset.TGWFlowsTable+"/") {
		table = dataset.TGWFlows
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("cannot open data file %q to rewrite it: %w", rel, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("invalid data file %q: %w", rel, err)
	}

	// Map the file's columns onto its schema: the table's, then extras.
	names := pf.Schema().Columns()
	var extra []string
	for _, p := range names {
		if table.ColumnIndex(p[0]) < 0 {
			extra = append(extra, p[0])
		}
	}
	b := newBatch(newFileSchema(table, extra))
	colOf := make([]int, len(names))
	for i, p := range names {
		colOf[i] = table.ColumnIndex(p[0])
		if colOf[i] < 0 {
			colOf[i] = len(table.Columns) + indexOf(extra, p[0])
		}
	}
	keyCol := table.ColumnIndex(dataset.ColSourceKey)
	idCol := table.ColumnIndex(dataset.ColFlowLogID)
	timeCol := table.ColumnIndex(dataset.ColFileTime)
	provs := map[provenance]*provenance{}

	buf := make([]parquet.Row, 512)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				var prov provenance
				prov.fileTime = -1
				for _, v := range row {
					switch colOf[v.Column()] {
					case keyCol:
						prov.key = string(v.ByteArray())
					case idCol:
						prov.flowLogID = string(v.ByteArray())
					case timeCol:
						if !v.IsNull() {
							prov.fileTime = v.Int64()
						}
					}
				}
				if drop[prov.key] {
					continue
				}
				for _, v := range row {
					i := colOf[v.Column()]
					// Provenance comes from prov, and the writer
					// computes the derived columns again.
					if !b.stores(i) {
						continue
					}
					c := &b.cols[i]
					c.padTo(b.rows)
					switch {
					case v.IsNull():
						c.appendNull()
					case c.kind == dataset.String:
						c.appendString(v.ByteArray())
					default:
						c.appendInt(v.Int64())
					}
				}
				p := provs[prov]
				if p == nil {
					p = &prov
					provs[prov] = p
				}
				b.addRow(p)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("cannot read data file %q: %w", rel, err)
			}
		}
		rows.Close()
	}
	b.complete()
	return b, nil
}
