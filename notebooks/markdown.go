package notebooks

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// barWidth is the length in characters of the longest bar of a text chart.
const barWidth = 40

// WriteMarkdown writes res as Markdown: the title, the range and
// parameters, the notebook's prose, and for each cell its SQL with the
// parameters written in, a table of the kept rows, and a text chart when
// the cell requests one. A failed cell shows its error in place.
func WriteMarkdown(w io.Writer, res *Result) error {
	bw := bufio.NewWriter(w)
	nb := res.Notebook
	fmt.Fprintf(bw, "# %s\n\n", nb.DisplayTitle())
	if nb.Description != "" {
		fmt.Fprintf(bw, "%s\n\n", nb.Description)
	}
	fmt.Fprintf(bw, "Range: %s", rangeText(res.Since, res.Until))
	if len(res.Params) > 0 {
		fmt.Fprintf(bw, ". Parameters: %s", paramsText(res.Params))
	}
	bw.WriteString(".\n")
	if n := len(res.Failed()); n > 0 {
		fmt.Fprintf(bw, "\n**%d of %d cells failed.**\n", n, len(res.Cells))
	}
	bw.WriteString("\n")

	byCell := map[*Cell]*CellResult{}
	for _, cr := range res.Cells {
		byCell[cr.Cell] = cr
	}
	// blankLine is true when the output ends with an empty line, so that
	// a cell does not add another.
	blankLine := true
	for _, b := range nb.Blocks {
		if b.Cell == nil {
			bw.WriteString(b.Text)
			if !strings.HasSuffix(b.Text, "\n") {
				bw.WriteString("\n")
			}
			blankLine = b.Text == "" || strings.HasSuffix(strings.ReplaceAll(b.Text, "\r", ""), "\n\n")
			continue
		}
		if cr := byCell[b.Cell]; cr != nil {
			if !blankLine {
				bw.WriteString("\n")
			}
			writeMarkdownCell(bw, cr)
			blankLine = true
		}
	}
	return bw.Flush()
}

func writeMarkdownCell(w *bufio.Writer, cr *CellResult) {
	sql := cr.SQL
	if sql == "" {
		sql = cr.Cell.SQL
	}
	fence := strings.Repeat("`", max(3, longestFenceRun(sql)+1))
	fmt.Fprintf(w, "%ssql\n-- cell %s\n%s\n%s\n\n", fence, cr.Cell.Table(), sql, fence)
	if cr.Err != nil {
		fmt.Fprintf(w, "**Cell %s failed:**\n\n", cr.Cell.Table())
		msg := cr.Err.Error()
		fence := strings.Repeat("`", max(3, longestFenceRun(msg)+1))
		fmt.Fprintf(w, "%s\n%s\n%s\n\n", fence, msg, fence)
		return
	}
	writeMarkdownTable(w, cr)
	if d := buildChart(cr); d != nil {
		writeTextChart(w, d)
	}
}

func writeMarkdownTable(w *bufio.Writer, cr *CellResult) {
	if len(cr.Columns) == 0 {
		return
	}
	if cr.RowCount == 0 {
		w.WriteString("(no rows)\n\n")
		return
	}
	w.WriteString("|")
	for _, col := range cr.Columns {
		w.WriteString(" " + markdownCell(col.Name) + " |")
	}
	w.WriteString("\n|")
	for _, col := range cr.Columns {
		if isNumericType(col.Type) {
			w.WriteString("---:|")
		} else {
			w.WriteString("---|")
		}
	}
	w.WriteString("\n")
	for _, row := range cr.Rows {
		w.WriteString("|")
		for i, v := range row {
			w.WriteString(" " + markdownCell(cellText(v, cr.Columns[i].Type)) + " |")
		}
		w.WriteString("\n")
	}
	if cr.Truncated() {
		fmt.Fprintf(w, "\n(first %d of %d rows)\n", len(cr.Rows), cr.RowCount)
	} else {
		fmt.Fprintf(w, "\n(%s)\n", rowsText(cr.RowCount))
	}
	w.WriteString("\n")
}

// markdownCell escapes a value for a Markdown table cell.
func markdownCell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r\n", "<br>")
	return strings.ReplaceAll(s, "\n", "<br>")
}

// writeTextChart draws a bar chart as rows of block characters, or a time
// series as a line of level characters, inside a code block.
func writeTextChart(w *bufio.Writer, d *chartData) {
	if len(d.points) == 0 {
		w.WriteString("(chart skipped: no rows with values)\n\n")
		return
	}
	_, hi := d.yRange()
	switch d.kind {
	case ChartBar:
		fmt.Fprintf(w, "%s by %s:\n\n```text\n", d.yName, d.xName)
		width := 0
		for _, p := range d.points {
			width = max(width, min(utf8.RuneCountInString(p.label), 32))
		}
		for _, p := range d.points {
			label := truncateRunes(p.label, 32)
			n := 0
			if hi > 0 && p.y > 0 {
				n = int(math.Round(p.y / hi * barWidth))
			}
			fmt.Fprintf(w, "%s%s %s %s\n", label, strings.Repeat(" ", width-utf8.RuneCountInString(label)),
				strings.Repeat("█", n)+strings.Repeat(" ", barWidth-n), siText(p.y))
		}
		w.WriteString("```\n\n")
	case ChartTimeSeries:
		levels := []rune("▁▂▃▄▅▆▇█")
		var line strings.Builder
		for _, y := range downsample(d.points, 72) {
			i := 0
			if hi > 0 && y > 0 {
				i = int(math.Round(y / hi * float64(len(levels)-1)))
			}
			line.WriteRune(levels[max(0, min(i, len(levels)-1))])
		}
		first, last := d.points[0], d.points[len(d.points)-1]
		fmt.Fprintf(w, "%s over %s, %s to %s, max %s:\n\n```text\n%s\n```\n\n",
			d.yName, d.xName, axisLabel(d, first.x), axisLabel(d, last.x), siText(hi), line.String())
	}
	if d.skipped > 0 {
		fmt.Fprintf(w, "(%d rows not charted)\n\n", d.skipped)
	}
}

// downsample reduces the points to at most n values, each the maximum of
// its bucket, so that a spike stays visible.
func downsample(points []chartPoint, n int) []float64 {
	out := make([]float64, 0, min(len(points), n))
	if len(points) <= n {
		for _, p := range points {
			out = append(out, p.y)
		}
		return out
	}
	for b := range n {
		lo, hi := b*len(points)/n, (b+1)*len(points)/n
		m := math.Inf(-1)
		for _, p := range points[lo:hi] {
			m = math.Max(m, p.y)
		}
		out = append(out, m)
	}
	return out
}

// axisLabel writes an x value: a UTC time for a time axis, else a number.
func axisLabel(d *chartData, x float64) string {
	if !d.timeAxis {
		return siText(x)
	}
	t := time.Unix(int64(x), 0).UTC()
	if t.Hour() == 0 && t.Minute() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04")
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
