package notebooks

import (
	"bytes"
	"strconv"
	"strings"
)

// Format writes a notebook back as text. Parse of the output gives the same
// notebook, apart from line numbers when the front matter is rewritten. The
// front matter is written in a canonical form and the prose as it was.
func Format(nb *Notebook) []byte {
	var b bytes.Buffer
	if nb.Title != "" || nb.Description != "" || len(nb.Params) > 0 || startsWithRule(nb) {
		b.WriteString("---\n")
		if nb.Title != "" {
			b.WriteString("title: " + formatScalar(nb.Title, false) + "\n")
		}
		if nb.Description != "" {
			b.WriteString("description: " + formatScalar(nb.Description, false) + "\n")
		}
		if len(nb.Params) > 0 {
			b.WriteString("params:\n")
			for _, p := range nb.Params {
				b.WriteString("  " + p.Name + ":")
				switch {
				case p.Required:
				case p.Type == ParamInteger:
					b.WriteString(" " + p.Default)
				default:
					b.WriteString(" " + formatScalar(p.Default, true))
				}
				b.WriteString("\n")
			}
		}
		b.WriteString("---\n")
	}
	for _, block := range nb.Blocks {
		if block.Cell == nil {
			b.WriteString(block.Text)
			continue
		}
		writeCell(&b, block.Cell)
	}
	return b.Bytes()
}

// startsWithRule reports whether the body starts with a "---" line, which
// Parse would take for front matter unless an empty one comes first.
func startsWithRule(nb *Notebook) bool {
	if len(nb.Blocks) == 0 || nb.Blocks[0].Cell != nil {
		return false
	}
	first, _, _ := strings.Cut(nb.Blocks[0].Text, "\n")
	return trimCR(first) == "---"
}

func writeCell(b *bytes.Buffer, c *Cell) {
	fence := strings.Repeat("`", longestFenceRun(c.SQL)+1)
	if len(fence) < 3 {
		fence = "```"
	}
	b.WriteString(fence + "sql")
	if c.Name != "" {
		b.WriteString(" name=" + c.Name)
	}
	if c.Chart.Kind != ChartNone {
		b.WriteString(" chart=" + string(c.Chart.Kind) + " x=" + c.Chart.X + " y=" + c.Chart.Y)
	}
	b.WriteString("\n" + c.SQL + "\n" + fence + "\n")
}

// longestFenceRun returns the longest run of backticks that starts a line
// of sql after up to three spaces, so that the cell's fence is longer.
func longestFenceRun(sql string) int {
	longest := 0
	for _, line := range strings.Split(sql, "\n") {
		rest := strings.TrimLeft(line, " ")
		if len(line)-len(rest) > 3 {
			continue
		}
		n := len(rest) - len(strings.TrimLeft(rest, "`"))
		longest = max(longest, n)
	}
	return longest
}

// formatScalar writes a front-matter value plainly when Parse reads it back
// the same, else double-quoted. A string parameter's default that looks
// like an integer is quoted so that it stays a string.
func formatScalar(s string, keepString bool) string {
	plain := s != "" && s == strings.TrimSpace(s) && !strings.ContainsAny(s[:1], `"'#&*!|>%@[]{}-?,`+"`") &&
		!strings.Contains(s, " #") && !strings.Contains(s, ": ") && strconv.IsPrint(rune(s[0])) &&
		!strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || !strconv.IsPrint(r) })
	if plain && keepString && integerRE.MatchString(s) {
		plain = false
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}
