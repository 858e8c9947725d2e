// Package notebooks parses, runs and renders investigation notebooks.
//
// A notebook is a Markdown file of prose and fenced SQL cells:
//
//	---
//	title: Traffic of one host
//	params:
//	  ip:
//	  limit: 10
//	---
//
//	Peers of the host, by bytes:
//
//	```sql name=peers chart=bar x=peer y=bytes
//	SELECT dstaddr AS peer, sum(bytes) AS bytes
//	FROM flows WHERE srcaddr = {{ip}}
//	GROUP BY peer ORDER BY bytes DESC LIMIT {{limit}}
//	```
//
// The info string of a cell's fence starts with sql and may set name, chart
// (bar or timeseries), x and y. A placeholder {{name}} becomes a SQL literal,
// never raw text: {{since}} and {{until}} are the engine's time range as
// TIMESTAMPTZ literals, and every other parameter is an integer literal when
// its declared default is an unquoted integer, else a string literal.
//
// Run executes the cells in order on one session of a query.Engine. Each
// cell's result is kept as a temporary table named after the cell, so a
// later cell can select from it. A failed cell records its error and the
// other cells still run. The Write functions render a Result as
// self-contained HTML with inline SVG charts, as Markdown, or as JSON.
//
// Builtin returns the notebooks embedded in the binary.
package notebooks
