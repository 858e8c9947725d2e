package notebooks

import "strings"

type tokenKind int

const (
	// tokWord is an unquoted identifier or keyword.
	tokWord tokenKind = iota
	// tokQuotedIdent is a double-quoted identifier, text without quotes.
	tokQuotedIdent
	// tokPlaceholder is {{…}} in SQL text, outside strings and comments.
	tokPlaceholder
	// tokQuotedPlaceholder is {{…}} inside a quoted string or identifier.
	tokQuotedPlaceholder
)

// token is a part of a cell's SQL that the parser and the runner look at.
// Other characters are skipped.
type token struct {
	kind       tokenKind
	text       string
	start, end int // byte offsets in the SQL
	line       int // 0-based line within the SQL
}

// scanSQL calls fn for the words, quoted identifiers and placeholders of
// sql, skipping string literals and comments. It stops at fn's first error.
//
// NOTE: E'…' strings with backslash escapes are read as plain strings, so
// an escaped quote inside one ends the string early.
func scanSQL(sql string, fn func(token) error) error {
	line := 0
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				return nil
			}
			i += j
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			j := strings.Index(sql[i+2:], "*/")
			end := len(sql)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			line += strings.Count(sql[i:end], "\n")
			i = end
		case c == '\'' || c == '"':
			end := quotedEnd(sql, i)
			body := sql[i:end]
			if err := quotedPlaceholders(body, i, line, fn); err != nil {
				return err
			}
			if c == '"' && end-i >= 2 && strings.HasSuffix(body, `"`) {
				text := strings.ReplaceAll(body[1:len(body)-1], `""`, `"`)
				if err := fn(token{kind: tokQuotedIdent, text: text, start: i, end: end, line: line}); err != nil {
					return err
				}
			}
			line += strings.Count(body, "\n")
			i = end
		case c == '$' && dollarTag(sql[i:]) != "":
			tag := dollarTag(sql[i:])
			j := strings.Index(sql[i+len(tag):], tag)
			end := len(sql)
			if j >= 0 {
				end = i + len(tag) + j + len(tag)
			}
			line += strings.Count(sql[i:end], "\n")
			i = end
		case c == '{' && strings.HasPrefix(sql[i:], "{{"):
			end := placeholderEnd(sql, i)
			if err := fn(token{kind: tokPlaceholder, text: sql[i:end], start: i, end: end, line: line}); err != nil {
				return err
			}
			i = end
		case isWordStart(c):
			j := i + 1
			for j < len(sql) && isWordByte(sql[j]) {
				j++
			}
			if err := fn(token{kind: tokWord, text: sql[i:j], start: i, end: j, line: line}); err != nil {
				return err
			}
			i = j
		case isWordByte(c):
			// A number or the rest of a word: skip it whole so that 1e5 or
			// 0x1F never yields a word.
			for i < len(sql) && isWordByte(sql[i]) {
				i++
			}
		default:
			i++
		}
	}
	return nil
}

// quotedEnd returns the offset after the string or identifier that starts
// at i, where a doubled quote stands for one. An unclosed one runs to the end.
func quotedEnd(sql string, i int) int {
	q := sql[i]
	j := i + 1
	for j < len(sql) {
		if sql[j] == q {
			if j+1 < len(sql) && sql[j+1] == q {
				j += 2
				continue
			}
			return j + 1
		}
		j++
	}
	return len(sql)
}

// quotedPlaceholders reports each {{…}} inside a quoted string or
// identifier, which the runner does not replace.
func quotedPlaceholders(body string, offset, line int, fn func(token) error) error {
	for k := 0; k < len(body); {
		j := strings.Index(body[k:], "{{")
		if j < 0 {
			return nil
		}
		start := k + j
		end := placeholderEnd(body, start)
		t := token{kind: tokQuotedPlaceholder, text: body[start:end], start: offset + start, end: offset + end,
			line: line + strings.Count(body[:start], "\n")}
		if err := fn(t); err != nil {
			return err
		}
		k = end
	}
	return nil
}

// placeholderEnd returns the offset after the "}}" that closes the
// placeholder at i on the same line, or the end of a malformed one.
func placeholderEnd(s string, i int) int {
	lineEnd := strings.IndexByte(s[i:], '\n')
	if lineEnd < 0 {
		lineEnd = len(s) - i
	}
	if j := strings.Index(s[i+2:i+lineEnd], "}}"); j >= 0 {
		return i + 2 + j + 2
	}
	end := i + 2
	for end < i+lineEnd && end-i < 40 && s[end] != ' ' {
		end++
	}
	return end
}

// dollarTag returns the $tag$ that opens a dollar-quoted string at the start
// of s, or "".
func dollarTag(s string) string {
	j := 1
	for j < len(s) && isWordByte(s[j]) && !(j == 1 && s[j] >= '0' && s[j] <= '9') {
		j++
	}
	if j < len(s) && s[j] == '$' {
		return s[:j+1]
	}
	return ""
}

func isWordStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isWordByte(c byte) bool {
	return isWordStart(c) || (c >= '0' && c <= '9') || c >= 0x80
}
