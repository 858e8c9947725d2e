package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/flowq/flowq/detections"
	"github.com/flowq/flowq/notebooks"
	"github.com/flowq/flowq/query"
)

// Column types of the report's tables, as DuckDB names them, so that the
// notebook renderer aligns numbers and formats times.
const (
	typeText   = "VARCHAR"
	typeBigint = "BIGINT"
	typeDouble = "DOUBLE"
	typeBool   = "BOOLEAN"
	typeTime   = "TIMESTAMP WITH TIME ZONE"
)

// WriteHTML writes rep as one self-contained HTML page, drawn by the
// notebook renderer: inline CSS, tables and inline SVG charts, no script
// and no external reference. The page shows the same numbers as the JSON.
func WriteHTML(w io.Writer, rep *Exfil) error {
	day, err := time.Parse(time.DateOnly, rep.Day)
	if err != nil {
		return fmt.Errorf("invalid report day %q: %w", rep.Day, err)
	}
	b := &pageBuilder{nb: &notebooks.Notebook{
		Name:        "exfil-" + rep.Day,
		Title:       "Exfiltration report, " + rep.Day,
		Description: "Accepted egress to the internet on one UTC day, against the daily mean of the baseline before it.",
	}}
	b.prose(summaryMarkdown(rep))

	b.prose("## Findings\n\nFindings of the rules " + codeList(rep.Rules) + " over the day, with the baseline for the rules that need one.\n")
	b.cell("findings", "-- flowq detect --rule "+strings.Join(rep.Rules, ",")+" --since "+rep.Window.Since+" --until "+rep.Window.Until+
		" --baseline "+baselineFlag(rep.Baseline), notebooks.Chart{}, findingColumns, findingRows(rep.Findings))

	b.prose("## Top destinations\n\nPublic destinations by egress bytes on the day. The change compares the day with the baseline's daily mean; it is empty when the baseline never sent to the address.\n")
	b.cell("top_destinations", TopDestinationsSQL(rep.Top), barChart, endpointColumns("destination", "sources"), endpointRows(rep.TopDestinations))

	b.prose("## Top sources\n\nSources of egress to the internet by bytes on the day.\n")
	b.cell("top_sources", TopSourcesSQL(rep.Top), barChart, endpointColumns("source", "destinations"), endpointRows(rep.TopSources))

	b.prose(fmt.Sprintf("## New destinations\n\n%s public destinations received %s on the day and none in the baseline. The largest:\n",
		strconv.FormatInt(rep.NewDestinations.Count, 10), bytesText(rep.NewDestinations.Bytes)))
	b.cell("new_destinations", NewDestinationsSQL(rep.Top), barChart, endpointColumns("destination", "sources"), endpointRows(rep.NewDestinations.Top))

	b.prose("## Egress per hour\n\nA record that starts before the day counts in the first hour.\n")
	b.cell("hourly", HourlySQL(day), notebooks.Chart{Kind: notebooks.ChartTimeSeries, X: "hour", Y: "bytes"},
		[]query.Column{{Name: "hour", Type: typeTime}, {Name: "bytes", Type: typeBigint}}, hourlyRows(rep.Hourly))

	b.prose("## How the report counts\n\nThe tables `report_day` and `report_baseline` keep the accepted egress records to public addresses. " +
		"They read `window_flows` and `baseline_flows`, the tables that `flowq detect` builds for the day and the baseline " +
		"(`flowq detect explain` prints their SQL):\n\n```sql\n" + EgressTablesSQL() + "\n```\n")

	since, _ := time.Parse(time.RFC3339, rep.Window.Since)
	until, _ := time.Parse(time.RFC3339, rep.Window.Until)
	res := &notebooks.Result{
		Notebook: b.nb, Since: since, Until: until, Cells: b.cells,
		Params: map[string]string{
			"baseline": rep.Baseline.Since[:10] + " to " + rep.Baseline.Until[:10],
			"top":      strconv.Itoa(rep.Top),
		},
	}
	return notebooks.WriteHTML(w, res)
}

var barChart = notebooks.Chart{Kind: notebooks.ChartBar, X: "address", Y: "bytes"}

// pageBuilder collects the blocks of the notebook that the page renders.
type pageBuilder struct {
	nb    *notebooks.Notebook
	cells []*notebooks.CellResult
}

func (b *pageBuilder) prose(md string) {
	b.nb.Blocks = append(b.nb.Blocks, notebooks.Block{Text: md})
}

func (b *pageBuilder) cell(name, sql string, chart notebooks.Chart, cols []query.Column, rows [][]any) {
	c := &notebooks.Cell{Name: name, Index: len(b.cells) + 1, SQL: sql, Chart: chart}
	b.nb.Blocks = append(b.nb.Blocks, notebooks.Block{Cell: c})
	b.cells = append(b.cells, &notebooks.CellResult{Cell: c, SQL: sql, Columns: cols, Rows: rows, RowCount: int64(len(rows))})
}

// summaryMarkdown writes the totals, the baseline and the warnings.
func summaryMarkdown(rep *Exfil) string {
	var s strings.Builder
	s.WriteString("## Summary\n\n")
	if !rep.Complete {
		fmt.Fprintf(&s, "**The day is not yet complete:** the dataset's latest record ends at %s, before %s. Later records of the day may still arrive.\n\n",
			orNone(rep.LatestRecord), rep.Window.Until)
	}
	if rep.Baseline.DaysWithData == 0 {
		s.WriteString("**The baseline has no data**, so every destination counts as new and no change is computed.\n\n")
	}
	t := rep.Totals
	fmt.Fprintf(&s, "- Egress to the internet: **%s** in %d records, from %d sources to %d destinations.\n",
		bytesText(t.EgressBytes), t.EgressRecords, t.Sources, t.Destinations)
	fmt.Fprintf(&s, "- Baseline daily mean: %s over %s with data, from %s to %s; change %s.\n",
		bytesText(t.BaselineMeanBytes), daysText(rep.Baseline.DaysWithData), rep.Baseline.Since, rep.Baseline.Until, changeText(t.ChangePercent))
	fmt.Fprintf(&s, "- New destinations: %d, receiving %s.\n", rep.NewDestinations.Count, bytesText(rep.NewDestinations.Bytes))
	fmt.Fprintf(&s, "- Findings: %d.\n", len(rep.Findings))
	if len(rep.TopDestinations) > 0 {
		top := rep.TopDestinations[0]
		fmt.Fprintf(&s, "- Top destination: %s with %s.\n", top.Address, bytesText(top.Bytes))
	}
	if len(rep.RuleErrors) > 0 {
		fmt.Fprintf(&s, "\n**%d rules failed:** %s\n", len(rep.RuleErrors), strings.Join(rep.RuleErrors, "; "))
	}
	return s.String()
}

var findingColumns = []query.Column{
	{Name: "severity", Type: typeText}, {Name: "rule", Type: typeText}, {Name: "entity", Type: typeText},
	{Name: "first_seen", Type: typeTime}, {Name: "last_seen", Type: typeTime}, {Name: "bytes", Type: typeBigint},
}

func findingRows(findings []Finding) [][]any {
	rows := [][]any{}
	for _, f := range findings {
		first, _ := time.Parse(time.RFC3339, f.FirstSeen)
		last, _ := time.Parse(time.RFC3339, f.LastSeen)
		rows = append(rows, []any{f.Severity.String(), f.Rule, f.Entity, first, last, f.Counts["bytes"]})
	}
	return rows
}

func endpointColumns(role, peers string) []query.Column {
	return []query.Column{
		{Name: "address", Type: typeText}, {Name: "bytes", Type: typeBigint}, {Name: "packets", Type: typeBigint},
		{Name: peers, Type: typeBigint}, {Name: "baseline_mean_bytes", Type: typeBigint},
		{Name: "change_percent", Type: typeDouble}, {Name: "new_" + role, Type: typeBool},
	}
}

func endpointRows(list []Endpoint) [][]any {
	rows := [][]any{}
	for _, e := range list {
		var change any
		if e.ChangePercent != nil {
			change = *e.ChangePercent
		}
		rows = append(rows, []any{e.Address, e.Bytes, e.Packets, e.Peers, e.BaselineMeanBytes, change, e.New})
	}
	return rows
}

func hourlyRows(hours []HourBytes) [][]any {
	rows := [][]any{}
	for _, h := range hours {
		t, _ := time.Parse(time.RFC3339, h.Hour)
		rows = append(rows, []any{t, h.Bytes})
	}
	return rows
}

// bytesText writes a byte count in decimal units with the exact count,
// such as "6.51 GB (6514584447 bytes)".
func bytesText(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	v, i := float64(n), 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	return fmt.Sprintf("%.2f %s (%d bytes)", v, units[i], n)
}

func daysText(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

func changeText(p *float64) string {
	if p == nil {
		return "not computed, because the baseline mean is 0"
	}
	return fmt.Sprintf("%+.1f%%", *p)
}

func codeList(ids []string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "`" + id + "`"
	}
	return strings.Join(parts, ", ")
}

// baselineFlag writes the baseline's length as a --baseline value, such
// as 14d.
func baselineFlag(b BaselineRange) string {
	since, err1 := time.Parse(time.RFC3339, b.Since)
	until, err2 := time.Parse(time.RFC3339, b.Until)
	if err1 != nil || err2 != nil {
		return "?"
	}
	return detections.FormatDuration(until.Sub(since))
}

func orNone(s string) string {
	if s == "" {
		return "(no record)"
	}
	return s
}
