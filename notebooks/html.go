package notebooks

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"strings"
)

// pageCSS styles the HTML page. It names only generic font families, so
// the page loads no font.
const pageCSS = `
body { font: 15px/1.5 system-ui, sans-serif; color: #1d232a; background: #fff; margin: 0; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.3em; margin-top: 1.6em; border-bottom: 1px solid #d8dee4; }
h3, h4, h5, h6 { font-size: 1.1em; }
.meta { color: #57606a; margin: 0 0 16px; }
.failed { background: #ffebe9; border: 1px solid #cf222e; padding: 8px 12px; border-radius: 6px; }
code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
pre { background: #f6f8fa; padding: 10px 12px; overflow-x: auto; border-radius: 6px; }
details { margin: 8px 0; }
summary { cursor: pointer; color: #57606a; }
.cell { margin: 16px 0 28px; }
.cell-name { font-family: ui-monospace, monospace; color: #57606a; font-size: 13px; }
.error pre { background: #ffebe9; color: #82071e; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #d8dee4; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.null { color: #8c959f; font-style: italic; }
.rows { color: #57606a; font-size: 13px; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 12px 0; font-family: system-ui, sans-serif; }
svg .grid { stroke: #eaeef2; stroke-width: 1; }
svg .axis { stroke: #57606a; stroke-width: 1; }
svg .bar { fill: #0969da; }
svg .line { fill: none; stroke: #0969da; stroke-width: 2; }
svg .dot { fill: #0969da; }
svg .tick, svg .value { font-size: 11px; fill: #57606a; }
svg .label { font-size: 12px; fill: #1d232a; }
svg .axis-title { font-size: 12px; fill: #1d232a; }
`

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{if .Description}}<p class="meta">{{.Description}}</p>
{{end}}<p class="meta">Range: {{.Range}}{{if .Params}}. Parameters: {{.Params}}{{end}}.</p>
{{if .Failed}}<p class="failed">{{.Failed}}</p>
{{end}}{{.Body}}
</main>
</body>
</html>
`))

// WriteHTML writes res as one self-contained HTML page: inline CSS, the
// prose, each cell's SQL in a collapsed block, a table of the kept rows,
// and the charts as inline SVG. The page has no script and refers to no
// other file or address.
func WriteHTML(w io.Writer, res *Result) error {
	nb := res.Notebook
	data := struct {
		Title, Description, Range, Params, Failed string
		CSS                                       template.CSS
		Body                                      template.HTML
	}{
		Title: nb.DisplayTitle(), Description: nb.Description, Range: rangeText(res.Since, res.Until),
		Params: paramsText(res.Params), CSS: template.CSS(pageCSS),
	}
	if n := len(res.Failed()); n > 0 {
		data.Failed = fmt.Sprintf("%d of %d cells failed.", n, len(res.Cells))
	}
	byCell := map[*Cell]*CellResult{}
	for _, cr := range res.Cells {
		byCell[cr.Cell] = cr
	}
	var body strings.Builder
	for _, b := range nb.Blocks {
		if b.Cell == nil {
			body.WriteString(proseHTML(b.Text))
			continue
		}
		if cr := byCell[b.Cell]; cr != nil {
			writeHTMLCell(&body, cr)
		}
	}
	// The body is built from escaped text and the SVG drawn above.
	data.Body = template.HTML(body.String())
	return pageTemplate.Execute(w, data)
}

func writeHTMLCell(b *strings.Builder, cr *CellResult) {
	sql := cr.SQL
	if sql == "" {
		sql = cr.Cell.SQL
	}
	fmt.Fprintf(b, `<section class="cell" id="cell-%s">`+"\n", html.EscapeString(cr.Cell.Table()))
	fmt.Fprintf(b, `<details><summary>SQL <span class="cell-name">%s</span></summary><pre><code>%s</code></pre></details>`+"\n",
		html.EscapeString(cr.Cell.Table()), html.EscapeString(sql))
	if cr.Err != nil {
		fmt.Fprintf(b, `<div class="error"><p><strong>Cell %s failed:</strong></p><pre>%s</pre></div>`+"\n",
			html.EscapeString(cr.Cell.Table()), html.EscapeString(cr.Err.Error()))
		b.WriteString("</section>\n")
		return
	}
	if d := buildChart(cr); d != nil {
		if len(d.points) == 0 {
			b.WriteString(`<p class="rows">(chart skipped: no rows with values)</p>` + "\n")
		} else {
			writeSVG(b, d)
			b.WriteString("\n")
		}
	}
	writeHTMLTable(b, cr)
	b.WriteString("</section>\n")
}

func writeHTMLTable(b *strings.Builder, cr *CellResult) {
	if len(cr.Columns) == 0 {
		return
	}
	if cr.RowCount == 0 {
		b.WriteString(`<p class="rows">(no rows)</p>` + "\n")
		return
	}
	b.WriteString(`<div class="table-wrap"><table><thead><tr>`)
	for _, col := range cr.Columns {
		fmt.Fprintf(b, `<th%s title="%s">%s</th>`, numClass(col.Type), html.EscapeString(col.Type), html.EscapeString(col.Name))
	}
	b.WriteString("</tr></thead><tbody>\n")
	for _, row := range cr.Rows {
		b.WriteString("<tr>")
		for i, v := range row {
			if v == nil {
				b.WriteString(`<td class="null">NULL</td>`)
				continue
			}
			fmt.Fprintf(b, "<td%s>%s</td>", numClass(cr.Columns[i].Type), html.EscapeString(cellText(v, cr.Columns[i].Type)))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody></table></div>\n")
	if cr.Truncated() {
		fmt.Fprintf(b, `<p class="rows">First %d of %d rows.</p>`+"\n", len(cr.Rows), cr.RowCount)
	} else {
		fmt.Fprintf(b, `<p class="rows">%s.</p>`+"\n", rowsText(cr.RowCount))
	}
}

func numClass(colType string) string {
	if isNumericType(colType) {
		return ` class="num"`
	}
	return ""
}
