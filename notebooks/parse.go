package notebooks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Parse reads a notebook. name is used in errors, such as the file's path.
// Every mistake is a *ParseError with the line it was found on.
func Parse(name string, src []byte) (*Notebook, error) {
	p := &parser{nb: &Notebook{Name: name}, file: name, lines: strings.SplitAfter(string(src), "\n")}
	if len(p.lines) > 0 && p.lines[len(p.lines)-1] == "" {
		p.lines = p.lines[:len(p.lines)-1]
	}
	if err := p.parse(); err != nil {
		return nil, err
	}
	return p.nb, nil
}

type parser struct {
	nb    *Notebook
	file  string
	lines []string
	pos   int // index of the next line
	prose strings.Builder
	cells []*Cell
}

func (p *parser) errorf(line int, cell, format string, args ...any) error {
	return &ParseError{File: p.file, Line: line, Cell: cell, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parse() error {
	if err := p.frontMatter(); err != nil {
		return err
	}
	for p.pos < len(p.lines) {
		raw := p.lines[p.pos]
		line := trimCR(strings.TrimSuffix(raw, "\n"))
		f, ok := openingFence(line)
		if !ok {
			p.prose.WriteString(raw)
			p.pos++
			continue
		}
		if !f.isSQL() {
			p.skipFence(f)
			continue
		}
		if f.indent > 0 {
			return p.errorf(p.pos+1, "", "indented sql fence: start the fence of a cell at the beginning of the line")
		}
		if err := p.cell(f); err != nil {
			return err
		}
	}
	p.flushProse()
	return p.checkParams()
}

// skipFence copies a fenced block that is not a cell into the prose,
// so that a sql fence shown inside it is not taken for a cell.
func (p *parser) skipFence(f fence) {
	p.prose.WriteString(p.lines[p.pos])
	p.pos++
	for p.pos < len(p.lines) {
		raw := p.lines[p.pos]
		p.prose.WriteString(raw)
		p.pos++
		if f.closedBy(trimCR(strings.TrimSuffix(raw, "\n"))) {
			return
		}
	}
}

func (p *parser) flushProse() {
	if p.prose.Len() > 0 {
		p.nb.Blocks = append(p.nb.Blocks, Block{Text: p.prose.String()})
		p.prose.Reset()
	}
}

// cell reads one sql cell whose opening fence is at p.pos.
func (p *parser) cell(f fence) error {
	c := &Cell{Index: len(p.cells) + 1, Line: p.pos + 1}
	if err := p.infoString(c, f.info); err != nil {
		return err
	}

	var body []string
	p.pos++
	closed := false
	for p.pos < len(p.lines) {
		line := trimCR(strings.TrimSuffix(p.lines[p.pos], "\n"))
		p.pos++
		if f.closedBy(line) {
			closed = true
			break
		}
		body = append(body, line)
	}
	if !closed {
		return p.errorf(c.Line, c.Name, "the sql fence is not closed: end the cell with a line of %s", strings.Repeat(string(f.char), f.length))
	}

	c.SQL = strings.Join(body, "\n")
	if strings.TrimSpace(c.SQL) == "" {
		return p.errorf(c.Line, c.Name, "the cell has no SQL")
	}
	for _, prev := range p.cells {
		if prev.Table() == c.Table() {
			return p.errorf(c.Line, c.Name, "cell name %q is already taken by the cell on line %d", c.Table(), prev.Line)
		}
	}
	if err := p.scanSQL(c); err != nil {
		return err
	}
	p.flushProse()
	p.cells = append(p.cells, c)
	p.nb.Blocks = append(p.nb.Blocks, Block{Cell: c})
	return nil
}

// infoString reads the key=value settings after "sql" in a cell's fence.
func (p *parser) infoString(c *Cell, info string) error {
	fields := strings.Fields(info)
	seen := map[string]bool{}
	for _, field := range fields[1:] {
		key, value, ok := strings.Cut(field, "=")
		if !ok || value == "" {
			return p.errorf(c.Line, c.Name, "invalid cell setting %q: write key=value, such as name=top_talkers", field)
		}
		if seen[key] {
			return p.errorf(c.Line, c.Name, "cell setting %q is given twice", key)
		}
		seen[key] = true
		switch key {
		case "name":
			if !identRE.MatchString(value) {
				return p.errorf(c.Line, "", "invalid cell name %q: use lower-case letters, digits and _, starting with a letter or _", value)
			}
			if reservedTables[value] {
				return p.errorf(c.Line, "", "invalid cell name %q: it would hide the view of the same name", value)
			}
			c.Name = value
		case "chart":
			switch ChartKind(value) {
			case ChartBar, ChartTimeSeries:
				c.Chart.Kind = ChartKind(value)
			default:
				return p.errorf(c.Line, c.Name, "invalid chart %q: use bar or timeseries", value)
			}
		case "x":
			c.Chart.X = value
		case "y":
			c.Chart.Y = value
		default:
			return p.errorf(c.Line, c.Name, "unknown cell setting %q: use name, chart, x or y", key)
		}
	}
	switch {
	case c.Chart.Kind != ChartNone && (c.Chart.X == "" || c.Chart.Y == ""):
		return p.errorf(c.Line, c.Name, "chart=%s needs the columns of both axes: add x=COLUMN and y=COLUMN", c.Chart.Kind)
	case c.Chart.Kind == ChartNone && (c.Chart.X != "" || c.Chart.Y != ""):
		return p.errorf(c.Line, c.Name, "x and y need a chart: add chart=bar or chart=timeseries")
	}
	return nil
}

// checkParams rejects cells that use a parameter the front matter does not
// declare, when it declares any.
func (p *parser) checkParams() error {
	if len(p.nb.Params) == 0 {
		return nil
	}
	for _, c := range p.cells {
		for _, name := range c.Params {
			if name != ParamSince && name != ParamUntil && p.nb.Param(name) == nil {
				return p.errorf(c.ParamLine(name), c.Name, "unknown parameter {{%s}}: declare it under params in the front matter", name)
			}
		}
	}
	return nil
}

// fence is an opening code fence.
type fence struct {
	indent int
	char   byte
	length int
	info   string
}

// openingFence reads a line as an opening code fence: up to three spaces,
// three or more backticks or tildes, and an info string.
func openingFence(line string) (fence, bool) {
	indent := len(line) - len(strings.TrimLeft(line, " "))
	if indent > 3 {
		return fence{}, false
	}
	rest := line[indent:]
	if len(rest) < 3 || (rest[0] != '`' && rest[0] != '~') {
		return fence{}, false
	}
	char := rest[0]
	n := len(rest) - len(strings.TrimLeft(rest, string(char)))
	if n < 3 {
		return fence{}, false
	}
	info := strings.TrimSpace(rest[n:])
	if char == '`' && strings.Contains(info, "`") {
		return fence{}, false
	}
	return fence{indent: indent, char: char, length: n, info: info}, true
}

func (f fence) isSQL() bool {
	fields := strings.Fields(f.info)
	return len(fields) > 0 && strings.EqualFold(fields[0], "sql")
}

// closedBy reports whether line closes the fence: up to three spaces, at
// least as many of the same character, and nothing else.
func (f fence) closedBy(line string) bool {
	indent := len(line) - len(strings.TrimLeft(line, " "))
	if indent > 3 {
		return false
	}
	rest := strings.TrimRight(line[indent:], " \t")
	n := len(rest) - len(strings.TrimLeft(rest, string(f.char)))
	return n >= f.length && n == len(rest)
}

var placeholderRE = regexp.MustCompile(`^\{\{\s*([A-Za-z0-9_]*)\s*\}\}`)

// scanSQL finds the parameters and the references to earlier cells in a
// cell's SQL, outside strings and comments.
func (p *parser) scanSQL(c *Cell) error {
	c.paramLines = map[string]int{}
	earlier := map[string]bool{}
	for _, prev := range p.cells {
		earlier[prev.Table()] = true
	}
	var lastWord string
	err := scanSQL(c.SQL, func(t token) error {
		line := c.Line + 1 + t.line
		switch t.kind {
		case tokPlaceholder:
			m := placeholderRE.FindStringSubmatch(t.text)
			if m == nil || !identRE.MatchString(m[1]) {
				return p.errorf(line, c.Table(), "invalid parameter %q: write {{name}} with a lower-case name", t.text)
			}
			if _, ok := c.paramLines[m[1]]; !ok {
				c.paramLines[m[1]] = line
				c.Params = append(c.Params, m[1])
			}
		case tokQuotedPlaceholder:
			return p.errorf(line, c.Table(), "parameter %s inside quotes: remove the quotes, the value is written as a SQL literal", t.text)
		case tokWord, tokQuotedIdent:
			name := strings.ToLower(t.text)
			if (lastWord == "from" || lastWord == "join") && earlier[name] && !contains(c.Refs, name) {
				c.Refs = append(c.Refs, name)
			}
		}
		if t.kind == tokWord {
			lastWord = strings.ToLower(t.text)
		} else {
			lastWord = ""
		}
		return nil
	})
	if err != nil {
		return err
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// unquoteScalar reads a front-matter value: "double-quoted" with Go
// escapes, 'single-quoted' with ” for a quote, or plain text up to a " #"
// comment. quoted reports whether the value was quoted.
func unquoteScalar(s string) (value string, quoted bool, err error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, `"`):
		v, err := strconv.Unquote(s)
		if err != nil {
			return "", true, fmt.Errorf("invalid double-quoted value %s", s)
		}
		return v, true, nil
	case strings.HasPrefix(s, "'"):
		if len(s) < 2 || !strings.HasSuffix(s, "'") {
			return "", true, fmt.Errorf("invalid single-quoted value %s", s)
		}
		inner := s[1 : len(s)-1]
		if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			return "", true, fmt.Errorf("invalid single-quoted value %s: write a quote inside it as ''", s)
		}
		return strings.ReplaceAll(inner, "''", "'"), true, nil
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s, false, nil
}
