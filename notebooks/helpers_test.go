package notebooks

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/flowq/flowq/convert"
	"github.com/flowq/flowq/internal/sample"
	"github.com/flowq/flowq/query"
)

// demoFixture is the demo archive converted once per test binary.
type demoFixture struct {
	data  string
	truth *sample.Truth
}

var (
	demoOnce sync.Once
	demo     *demoFixture
	demoErr  error
	demoRoot string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if demoRoot != "" {
		os.RemoveAll(demoRoot)
	}
	os.Exit(code)
}

// loadDemo returns the converted demo dataset, building it on first use.
func loadDemo(t testing.TB) *demoFixture {
	t.Helper()
	demoOnce.Do(func() {
		demoRoot, demoErr = os.MkdirTemp("", "flowq-notebooks-test-")
		if demoErr != nil {
			return
		}
		demo, demoErr = buildDemo(demoRoot)
	})
	if demoErr != nil {
		t.Fatalf("build the demo dataset: %v", demoErr)
	}
	return demo
}

func buildDemo(root string) (*demoFixture, error) {
	ctx := context.Background()
	archive, data := filepath.Join(root, "archive"), filepath.Join(root, "data")
	truth, err := sample.GenerateToDir(ctx, archive, sample.DemoOptions())
	if err != nil {
		return nil, err
	}
	src, err := convert.NewLocalSource(archive)
	if err != nil {
		return nil, err
	}
	sum, err := convert.Run(ctx, src, convert.Config{Out: data})
	if err != nil {
		return nil, err
	}
	if sum.ObjectsFailed > 0 || sum.RowsRejected > 0 {
		return nil, fmt.Errorf("convert: %d objects failed, %d rows rejected", sum.ObjectsFailed, sum.RowsRejected)
	}
	return &demoFixture{data: data, truth: truth}, nil
}

// openEngine opens the demo dataset over [since, until); zero is unbounded.
func openEngine(t *testing.T, since, until time.Time) *query.Engine {
	t.Helper()
	d := loadDemo(t)
	e, err := query.Open(context.Background(), query.Options{Data: d.data, Since: since, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func mustParse(t *testing.T, name, src string) *Notebook {
	t.Helper()
	nb, err := Parse(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return nb
}

// toInt64 converts an integer value of a result to int64.
func toInt64(t *testing.T, v any) int64 {
	t.Helper()
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	case uint64:
		return int64(n)
	case *big.Int:
		if n.IsInt64() {
			return n.Int64()
		}
	case query.Decimal:
		if n.Scale == 0 && n.Unscaled.IsInt64() {
			return n.Unscaled.Int64()
		}
	}
	t.Fatalf("value %v (%T) is not an integer", v, v)
	return 0
}

// cellRows returns a cell's rows as maps by column name and fails the
// test when the cell failed.
func cellRows(t *testing.T, res *Result, table string) []map[string]any {
	t.Helper()
	cr := res.Cell(table)
	if cr == nil {
		t.Fatalf("no cell %q", table)
	}
	if cr.Err != nil {
		t.Fatalf("cell %q failed: %v", table, cr.Err)
	}
	var out []map[string]any
	for _, row := range cr.Rows {
		m := map[string]any{}
		for i, col := range cr.Columns {
			m[col.Name] = row[i]
		}
		out = append(out, m)
	}
	return out
}
