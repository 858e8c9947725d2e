package notebooks

import (
	"html"
	"regexp"
	"strings"
)

// proseHTML converts the Markdown of a notebook's prose to HTML. It converts
// headings, paragraphs, block quotes, lists, fenced code, inline code,
// bold and italics. Links become their text followed by the target in
// brackets, so that the page refers to nothing outside itself. Everything
// else, Markdown tables and raw HTML included, shows as escaped text.
func proseHTML(md string) string {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	var para []string
	list := ""
	flush := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + inlineHTML(strings.Join(para, "\n")) + "</p>\n")
			para = nil
		}
	}
	closeList := func() {
		if list != "" {
			b.WriteString("</" + list + ">\n")
			list = ""
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if f, ok := openingFence(line); ok {
			flush()
			closeList()
			var code []string
			for i++; i < len(lines) && !f.closedBy(lines[i]); i++ {
				code = append(code, lines[i])
			}
			b.WriteString("<pre><code>" + html.EscapeString(strings.Join(code, "\n")) + "</code></pre>\n")
			continue
		}
		switch {
		case trimmed == "":
			flush()
			closeList()
		case headingRE.MatchString(trimmed):
			flush()
			closeList()
			m := headingRE.FindStringSubmatch(trimmed)
			level := string(rune('0' + max(len(m[1]), 2)))
			b.WriteString("<h" + level + ">" + inlineHTML(strings.TrimRight(m[2], "# ")) + "</h" + level + ">\n")
		case strings.HasPrefix(trimmed, ">"):
			flush()
			closeList()
			b.WriteString("<blockquote><p>" + inlineHTML(strings.TrimSpace(strings.TrimPrefix(trimmed, ">"))) + "</p></blockquote>\n")
		case bulletRE.MatchString(line) || orderedRE.MatchString(line):
			flush()
			kind, re := "ul", bulletRE
			if orderedRE.MatchString(line) {
				kind, re = "ol", orderedRE
			}
			if list != kind {
				closeList()
				b.WriteString("<" + kind + ">\n")
				list = kind
			}
			b.WriteString("<li>" + inlineHTML(re.ReplaceAllString(line, "")) + "</li>\n")
		case list != "" && strings.HasPrefix(line, "  "):
			// A continuation line of a list item joins the item before it.
			b.WriteString("<li class=\"cont\">" + inlineHTML(trimmed) + "</li>\n")
		default:
			closeList()
			para = append(para, trimmed)
		}
	}
	flush()
	closeList()
	return b.String()
}

var (
	// A level 1 heading becomes h2, so that the page's title is the only h1.
	headingRE = regexp.MustCompile(`^(#{1,6})\s+(.*)$`)
	bulletRE  = regexp.MustCompile(`^\s{0,3}[-*+]\s+`)
	orderedRE = regexp.MustCompile(`^\s{0,3}[0-9]{1,9}[.)]\s+`)
	codeRE    = regexp.MustCompile("`([^`]+)`")
	boldRE    = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	italicRE  = regexp.MustCompile(`(^|[^*\w])\*([^*\s][^*]*)\*`)
	linkRE    = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
)

// inlineHTML escapes text and converts inline code, bold, italics and
// links. Code spans are kept apart first so that their content stays as
// written.
func inlineHTML(s string) string {
	var spans []string
	s = codeRE.ReplaceAllStringFunc(s, func(m string) string {
		spans = append(spans, "<code>"+html.EscapeString(m[1:len(m)-1])+"</code>")
		return "\x00" + string(rune('A'+len(spans)-1)) + "\x00"
	})
	s = html.EscapeString(s)
	s = linkRE.ReplaceAllString(s, "$1 [$2]")
	s = boldRE.ReplaceAllString(s, "<strong>$1</strong>")
	s = italicRE.ReplaceAllString(s, "$1<em>$2</em>")
	for i, span := range spans {
		s = strings.Replace(s, "\x00"+string(rune('A'+i))+"\x00", span, 1)
	}
	return s
}
