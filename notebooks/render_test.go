package notebooks

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// renderNotebook has a bar chart, a time series, a failed cell and values
// that test the escaping and the exactness of each format.
const renderNotebook = "---\ntitle: Render <test>\ndescription: Checks & balances\n---\n" +
	"## Top **destinations**\n\nSee `flows` and [the docs](docs/sql.md).\n\n- one\n- two\n\n" +
	"```sql name=top chart=bar x=dstaddr y=bytes\n" +
	"SELECT dstaddr, sum(bytes) AS bytes FROM flows WHERE bytes IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5\n```\n" +
	"```sql name=hourly chart=timeseries x=hour y=bytes\n" +
	"SELECT date_trunc('hour', start_time) AS hour, sum(bytes) AS bytes FROM flows GROUP BY 1 ORDER BY 1\n```\n" +
	"```sql name=values\n" +
	"SELECT 170141183460469231731687303715884105727::HUGEINT AS huge, 9007199254740993::BIGINT AS big, NULL AS nothing,\n" +
	"  '<script>alert(1)</script> | pipe' AS text, 12.50::DECIMAL(10,2) AS dec, DATE '2026-11-02' AS day\n```\n" +
	"```sql name=broken\nSELECT * FROM no_such_table\n```\n"

func runRenderNotebook(t *testing.T) *Result {
	t.Helper()
	e := openEngine(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC))
	res, err := Run(context.Background(), e, mustParse(t, "render.md", renderNotebook), RunOptions{})
	if !errors.Is(err, ErrCellFailed) {
		t.Fatalf("error = %v, want the broken cell to fail", err)
	}
	return res
}

func TestWriteHTMLSelfContained(t *testing.T) {
	res := runRenderNotebook(t)
	var b bytes.Buffer
	if err := WriteHTML(&b, res); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"http://", "https://", "<script", "<link", "<img", "@import", "url("} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	for _, want := range []string{"<!DOCTYPE html>", "<title>Render &lt;test&gt;</title>", "<h2>Top <strong>destinations</strong></h2>",
		"<code>flows</code>", "<li>one</li>", "198.51.100.200", "&lt;script&gt;alert(1)&lt;/script&gt;",
		`<td class="null">NULL</td>`, "170141183460469231731687303715884105727", "1 of 4 cells failed.", "Cell broken failed:"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(page, -1)
	if len(svgs) != 2 {
		t.Fatalf("page has %d SVG charts, want 2", len(svgs))
	}
	for i, svg := range svgs {
		if err := checkXML(svg); err != nil {
			t.Errorf("SVG %d is not well-formed: %v", i+1, err)
		}
	}
	if !strings.Contains(svgs[0], "<rect") || strings.Count(svgs[0], "<rect") != 5 {
		t.Errorf("bar chart has %d bars, want 5", strings.Count(svgs[0], "<rect"))
	}
	if !strings.Contains(svgs[1], "<polyline") || !strings.Contains(svgs[1], "hour (UTC)") {
		t.Errorf("time series lacks its line or axis title")
	}
	for _, tag := range []string{"section", "table", "tr", "td", "th", "details", "pre", "p", "ul", "li", "main", "h2"} {
		if o, c := countOpen(page, tag), strings.Count(page, "</"+tag+">"); o != c {
			t.Errorf("<%s> opened %d times, closed %d times", tag, o, c)
		}
	}
}

func countOpen(page, tag string) int {
	return len(regexp.MustCompile(`<`+tag+`[ >]`).FindAllString(page, -1))
}

func checkXML(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestWriteJSONExactValues(t *testing.T) {
	res := runRenderNotebook(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Title       string `json:"title"`
		Since       string `json:"since"`
		FailedCells int    `json:"failed_cells"`
		Cells       []struct {
			Name    string `json:"name"`
			Columns []struct {
				Name, Type string
			} `json:"columns"`
			Rows     [][]json.RawMessage `json:"rows"`
			RowCount int64               `json:"row_count"`
			Error    string              `json:"error"`
			Chart    *struct{ Kind, X, Y string }
		} `json:"cells"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b.String())
	}
	if doc.Since != "2026-11-01T00:00:00Z" || doc.FailedCells != 1 || len(doc.Cells) != 4 {
		t.Errorf("since = %q, failed = %d, cells = %d", doc.Since, doc.FailedCells, len(doc.Cells))
	}
	values := doc.Cells[2]
	want := []string{`170141183460469231731687303715884105727`, `9007199254740993`, `null`,
		`"<script>alert(1)</script> | pipe"`, `12.50`, `"2026-11-02T00:00:00Z"`}
	for i, w := range want {
		if got := string(values.Rows[0][i]); got != w {
			t.Errorf("column %s = %s, want %s", values.Columns[i].Name, got, w)
		}
	}
	if doc.Cells[0].Chart == nil || doc.Cells[0].Chart.Kind != "bar" {
		t.Errorf("top cell chart = %+v, want bar", doc.Cells[0].Chart)
	}
	if !strings.Contains(doc.Cells[3].Error, "no_such_table") {
		t.Errorf("broken cell error = %q", doc.Cells[3].Error)
	}
}

func TestWriteMarkdownTablesAndCharts(t *testing.T) {
	res := runRenderNotebook(t)
	var b bytes.Buffer
	if err := WriteMarkdown(&b, res); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{"# Render <test>", "| dstaddr | bytes |", "|---|---:|", "bytes by dstaddr:", "█",
		"bytes over hour, 2026-11-01", "▁", `\| pipe`, "**Cell broken failed:**", "**1 of 4 cells failed.**", "(5 rows)"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

func TestOutputFormatForPath(t *testing.T) {
	for path, want := range map[string]OutputFormat{"a.html": OutputHTML, "b.MD": OutputMarkdown, "c/d.json": OutputJSON, "e.htm": OutputHTML} {
		if got, err := OutputFormatForPath(path); err != nil || got != want {
			t.Errorf("OutputFormatForPath(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	for _, path := range []string{"report", "report.pdf"} {
		if _, err := OutputFormatForPath(path); err == nil {
			t.Errorf("OutputFormatForPath(%q) succeeded, want an error", path)
		}
	}
}

func TestNiceTicksCoverRange(t *testing.T) {
	for _, tc := range []struct{ lo, hi float64 }{{0, 6514584447}, {0, 1}, {-5, 17}, {0, 0}, {3, 3}} {
		ticks := niceTicks(tc.lo, tc.hi, 5)
		if len(ticks) < 2 || ticks[0] > tc.lo || ticks[len(ticks)-1] < tc.hi {
			t.Errorf("niceTicks(%v, %v) = %v does not cover the range", tc.lo, tc.hi, ticks)
		}
	}
}
