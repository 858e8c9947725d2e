package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// readParquetObject converts an AWS Parquet delivery (.log.parquet). Its
// columns are matched to fields by name and each row goes through the same
// checks as a text record, so an identical record gives an identical row.
func (r *runner) readParquetObject(ctx context.Context, body io.Reader, p *lineParser) error {
	// Parquet needs random access: stage the object in a temporary file.
	tmp, err := os.CreateTemp("", "flowq-*.parquet")
	if err != nil {
		return &writeError{fmt.Errorf("cannot create a temporary file: %w", err)}
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	size, err := io.Copy(tmp, &ctxReader{ctx: ctx, r: body})
	if err != nil {
		return fmt.Errorf("cannot download the Parquet object: %w", err)
	}
	return parseParquet(ctx, tmp, size, p)
}

func parseParquet(ctx context.Context, f io.ReaderAt, size int64, p *lineParser) error {
	pf, err := parquet.OpenFile(f, size)
	if err != nil {
		return fmt.Errorf("invalid Parquet file: %w", err)
	}
	paths := pf.Schema().Columns()
	names := make([]string, len(paths))
	for i, path := range paths {
		if len(path) != 1 {
			return fmt.Errorf("invalid flow-log Parquet file: column %q is nested", strings.Join(path, "."))
		}
		names[i] = strings.ReplaceAll(path[0], "_", "-")
	}
	h, err := parseHeader([]byte(strings.Join(names, " ")))
	if err != nil {
		return fmt.Errorf("invalid flow-log Parquet file: %w", err)
	}
	p.setHeader(h)

	buf := make([]parquet.Row, 1024)
	scratch := make([][]byte, len(names))
	rowNo := 1 // line 1 stands for the header, as in text files
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			if err := ctx.Err(); err != nil {
				rows.Close()
				return err
			}
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				rowNo++
				p.stats.Lines++
				parquetTokens(row, p.tokens, scratch)
				if reason := p.parseTokens(); reason != "" {
					p.stats.Rejects++
					if rerr := p.reject(Reject{Key: p.obj.Key, Line: rowNo, Reason: reason, Raw: strings.Join(byteStrings(p.tokens), " ")}); rerr != nil {
						rows.Close()
						return rerr
					}
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("cannot read Parquet row %d: %w", rowNo, err)
			}
		}
		rows.Close()
	}
	return nil
}

var dash = []byte("-")

// parquetTokens turns a Parquet row into the text values a record would
// have: '-' for NULL and for empty strings, decimal text for integers.
func parquetTokens(row parquet.Row, tokens, scratch [][]byte) {
	for i := range tokens {
		tokens[i] = dash
	}
	for _, v := range row {
		c := v.Column()
		if c < 0 || c >= len(tokens) || v.IsNull() {
			continue
		}
		switch v.Kind() {
		case parquet.Int32:
			scratch[c] = strconv.AppendInt(scratch[c][:0], int64(v.Int32()), 10)
		case parquet.Int64:
			scratch[c] = strconv.AppendInt(scratch[c][:0], v.Int64(), 10)
		case parquet.ByteArray, parquet.FixedLenByteArray:
			b := v.ByteArray()
			if len(b) == 0 {
				continue
			}
			scratch[c] = append(scratch[c][:0], b...)
		default:
			scratch[c] = append(scratch[c][:0], v.String()...)
		}
		tokens[c] = scratch[c]
	}
}

func byteStrings(tokens [][]byte) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = string(t)
	}
	return out
}
