package notebooks

import (
	"encoding/json"
	"io"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/flowq/flowq/query"
)

type jsonResult struct {
	Notebook    string            `json:"notebook"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Since       *string           `json:"since"`
	Until       *string           `json:"until"`
	Params      map[string]string `json:"params"`
	FailedCells int               `json:"failed_cells"`
	Cells       []jsonCell        `json:"cells"`
}

type jsonCell struct {
	Name      string         `json:"name"`
	Line      int            `json:"line"`
	SQL       string         `json:"sql"`
	Chart     *Chart         `json:"chart,omitempty"`
	Columns   []query.Column `json:"columns"`
	Rows      [][]any        `json:"rows"`
	RowCount  int64          `json:"row_count"`
	Truncated bool           `json:"truncated"`
	Error     string         `json:"error,omitempty"`
}

// WriteJSON writes res as one JSON object: the notebook, the time range
// (null when unbounded), the parameters, and per cell the columns, the kept
// rows as arrays, the total row count and the error. NULL is null, integers
// of any size keep every digit, DECIMAL values are JSON numbers in plain
// notation, and times are RFC 3339 strings in UTC.
func WriteJSON(w io.Writer, res *Result) error {
	doc := jsonResult{
		Notebook: res.Notebook.Name, Title: res.Notebook.Title, Description: res.Notebook.Description,
		Since: jsonTime(res.Since), Until: jsonTime(res.Until), Params: res.Params,
		FailedCells: len(res.Failed()), Cells: []jsonCell{},
	}
	if doc.Params == nil {
		doc.Params = map[string]string{}
	}
	for _, cr := range res.Cells {
		jc := jsonCell{Name: cr.Cell.Table(), Line: cr.Cell.Line, SQL: cr.SQL, Columns: cr.Columns,
			Rows: make([][]any, len(cr.Rows)), RowCount: cr.RowCount, Truncated: cr.Truncated()}
		if jc.SQL == "" {
			jc.SQL = cr.Cell.SQL
		}
		if jc.Columns == nil {
			jc.Columns = []query.Column{}
		}
		if cr.Cell.Chart.Kind != ChartNone {
			chart := cr.Cell.Chart
			jc.Chart = &chart
		}
		if cr.Err != nil {
			jc.Error = cr.Err.Error()
		}
		for i, row := range cr.Rows {
			out := make([]any, len(row))
			for j, v := range row {
				out[j] = jsonValue(v)
			}
			jc.Rows[i] = out
		}
		doc.Cells = append(doc.Cells, jc)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// MarshalJSON writes the chart as {"kind", "x", "y"}.
func (c Chart) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Kind string `json:"kind"`
		X    string `json:"x"`
		Y    string `json:"y"`
	}{string(c.Kind), c.X, c.Y})
}

func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// jsonValue converts a value of query.Rows.Values to one that
// encoding/json writes exactly.
func jsonValue(v any) any {
	switch x := v.(type) {
	case *big.Int:
		return json.Number(x.String())
	case query.Decimal:
		return json.Number(x.String())
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return strconv.FormatFloat(float64(x), 'g', -1, 32)
		}
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case query.Interval:
		return x.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case query.Struct:
		out := make(map[string]any, len(x))
		for _, f := range x {
			out[f.Name] = jsonValue(f.Value)
		}
		return out
	case query.Map:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = map[string]any{"key": jsonValue(e.Key), "value": jsonValue(e.Value)}
		}
		return out
	}
	return v
}
