package notebooks

import (
	"regexp"
	"strconv"
	"strings"
)

// Notebook is a parsed notebook: optional front matter, then prose and SQL
// cells in document order.
type Notebook struct {
	// Name is the name given to Parse, used in errors and as the default
	// title.
	Name        string
	Title       string
	Description string
	// Params are the parameters that the front matter declares, in order.
	// A notebook that declares none accepts any parameter given to Run.
	Params []Param
	// Blocks are the prose and cells in document order.
	Blocks []Block
}

// Block is one part of a notebook's body: Markdown prose, or a cell when
// Cell is not nil.
type Block struct {
	// Text is the prose exactly as written, newlines included.
	Text string
	Cell *Cell
}

// Cell is one fenced sql block.
type Cell struct {
	// Name is the name given in the info string, or "".
	Name string
	// Index is the cell's 1-based position among the notebook's cells.
	Index int
	// Line is the 1-based line of the opening fence.
	Line int
	// SQL is the text between the fences, without the last newline.
	SQL   string
	Chart Chart
	// Params lists the parameters that the SQL uses, each once, in order of
	// first use.
	Params []string
	// Refs lists the earlier cells that the SQL reads with FROM or JOIN,
	// by table name, each once.
	Refs []string
	// paramLines is the 1-based line of each parameter's first use.
	paramLines map[string]int
}

// Table returns the name of the temporary table that holds the cell's
// result: its name, or cell_N for an unnamed cell at position N.
func (c *Cell) Table() string {
	if c.Name != "" {
		return c.Name
	}
	return "cell_" + strconv.Itoa(c.Index)
}

// ParamLine returns the 1-based line in the notebook where the cell first
// uses the parameter, or 0 when it does not use it.
func (c *Cell) ParamLine(name string) int { return c.paramLines[name] }

// ChartKind is the kind of chart drawn from a cell's result.
type ChartKind string

const (
	// ChartNone draws no chart.
	ChartNone ChartKind = ""
	// ChartBar draws one horizontal bar per row: X labels the bar and Y is
	// its length.
	ChartBar ChartKind = "bar"
	// ChartTimeSeries draws Y against X, a time, as a line.
	ChartTimeSeries ChartKind = "timeseries"
)

// Chart is a cell's chart request: the kind and the columns for the axes.
type Chart struct {
	Kind ChartKind
	X, Y string
}

// ParamType is the SQL type that a parameter's value is written as.
type ParamType string

const (
	// ParamString values become SQL string literals.
	ParamString ParamType = "string"
	// ParamInteger values must be decimal integers and become integer
	// literals.
	ParamInteger ParamType = "integer"
)

// Param is a parameter that the front matter declares.
type Param struct {
	Name string
	// Default is the value used when Run is given none. It is meaningful
	// only when Required is false.
	Default string
	// Required is true when the declaration has no default.
	Required bool
	// Type is ParamInteger when the default is an unquoted integer, else
	// ParamString.
	Type ParamType
	// Line is the 1-based line of the declaration.
	Line int
}

// Cells returns the notebook's cells in order.
func (nb *Notebook) Cells() []*Cell {
	var cells []*Cell
	for _, b := range nb.Blocks {
		if b.Cell != nil {
			cells = append(cells, b.Cell)
		}
	}
	return cells
}

// Param returns the declared parameter with the given name, or nil.
func (nb *Notebook) Param(name string) *Param {
	for i := range nb.Params {
		if nb.Params[i].Name == name {
			return &nb.Params[i]
		}
	}
	return nil
}

// DisplayTitle returns the title, or the notebook's name when it has none.
func (nb *Notebook) DisplayTitle() string {
	if nb.Title != "" {
		return nb.Title
	}
	return nb.Name
}

// Built-in parameters, set from the engine's time range.
const (
	ParamSince = "since"
	ParamUntil = "until"
)

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// reservedTables are names that a cell may not take, because they would
// hide the dataset's views.
var reservedTables = map[string]bool{"flows": true, "tgw_flows": true}

// trimCR removes one carriage return at the end of a line.
func trimCR(s string) string { return strings.TrimSuffix(s, "\r") }
