package query

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	bindings "github.com/duckdb/duckdb-go-bindings"
)

// SplitStatements splits a script into its statements at the semicolons
// that end them, skipping semicolons inside quoted strings, quoted
// identifiers, dollar-quoted strings and comments. Statements that hold only
// spaces and comments are dropped, and the ending semicolon is removed.
func SplitStatements(script string) []string {
	var out []string
	start := 0
	flush := func(end int) {
		s := strings.TrimSpace(script[start:end])
		if !onlyComments(s) {
			out = append(out, s)
		}
		start = end + 1
	}
	for i := 0; i < len(script); {
		switch c := script[i]; {
		case c == ';':
			flush(i)
			i++
		default:
			i = skipToken(script, i)
		}
	}
	if start < len(script) {
		flush(len(script))
	}
	return out
}

// Complete reports whether a script ends with a semicolon outside any
// string, identifier or comment. An interactive shell runs a statement that
// spans lines once it is complete.
func Complete(script string) bool {
	last := -1
	for i := 0; i < len(script); {
		c := script[i]
		if c == ';' {
			last = i
			i++
			continue
		}
		next := skipToken(script, i)
		if next > len(script) || (next == len(script) && unterminated(script, i)) {
			return false
		}
		i = next
	}
	return last >= 0 && onlyComments(script[last+1:])
}

// skipToken returns the index after the lexical unit that starts at i: a
// quoted string or identifier, a dollar-quoted string, a comment, or one byte.
func skipToken(s string, i int) int {
	switch {
	case s[i] == '\'' || s[i] == '"':
		q := s[i]
		for j := i + 1; j < len(s); j++ {
			if s[j] == q {
				if j+1 < len(s) && s[j+1] == q {
					j++
					continue
				}
				return j + 1
			}
		}
		return len(s)
	case strings.HasPrefix(s[i:], "--"):
		if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
			return i + j + 1
		}
		return len(s)
	case strings.HasPrefix(s[i:], "/*"):
		if j := strings.Index(s[i+2:], "*/"); j >= 0 {
			return i + 2 + j + 2
		}
		return len(s)
	case s[i] == '$':
		if tag, ok := dollarTag(s[i:]); ok {
			if j := strings.Index(s[i+len(tag):], tag); j >= 0 {
				return i + len(tag) + j + len(tag)
			}
			return len(s)
		}
	}
	return i + 1
}

// unterminated reports whether the quoted unit or block comment that
// starts at i runs to the end of s without its closing mark.
func unterminated(s string, i int) bool {
	switch {
	case s[i] == '\'' || s[i] == '"':
		q := s[i]
		for j := i + 1; j < len(s); j++ {
			if s[j] == q {
				if j+1 < len(s) && s[j+1] == q {
					j++
					continue
				}
				return false
			}
		}
		return true
	case strings.HasPrefix(s[i:], "/*"):
		return !strings.Contains(s[i+2:], "*/")
	case s[i] == '$':
		if tag, ok := dollarTag(s[i:]); ok {
			return !strings.Contains(s[i+len(tag):], tag)
		}
	}
	return false
}

// dollarTag returns the opening tag of a dollar-quoted string, such as $$
// or $body$, at the start of s.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := rune(s[j])
		if c == '$' {
			return s[:j+1], true
		}
		if !(c == '_' || unicode.IsLetter(c) || (j > 1 && unicode.IsDigit(c))) {
			return "", false
		}
	}
	return "", false
}

// onlyComments reports whether s holds nothing but spaces and comments.
func onlyComments(s string) bool {
	for i := 0; i < len(s); {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r':
			i++
		case strings.HasPrefix(s[i:], "--") || strings.HasPrefix(s[i:], "/*"):
			i = skipToken(s, i)
		default:
			return false
		}
	}
	return true
}

func splitStatements(sql string) ([]string, error) {
	stmts := SplitStatements(sql)
	if len(stmts) == 0 {
		return nil, &Error{Kind: KindSyntax, Message: "no SQL statement given"}
	}
	return stmts, nil
}

// extensionsError rejects INSTALL, LOAD and UPDATE EXTENSIONS.
func extensionsError() *Error {
	return readOnlyError("installing or loading DuckDB extensions is not allowed: flowq works offline with its built-in extensions (parquet, json, icu)")
}

// checkStatementText rejects statements by their first keyword before DuckDB
// prepares them, because preparing ATTACH, INSTALL or LOAD may already act.
func (e *Engine) checkStatementText(stmt string) *Error {
	word := strings.ToUpper(firstWord(stmt))
	switch word {
	case "ATTACH", "DETACH":
		return readOnlyError("ATTACH and DETACH are not allowed: flowq reads the dataset through the views flows and tgw_flows")
	case "INSTALL", "LOAD", "FORCE":
		return extensionsError()
	case "UPDATE":
		if strings.Contains(strings.ToUpper(stmt), "EXTENSIONS") {
			return extensionsError()
		}
	case "EXPORT":
		return readOnlyError("EXPORT DATABASE is not allowed: use COPY (query) TO 'file' outside the dataset folder")
	}
	return nil
}

// checkStatement rejects statements that would write into the dataset or
// change what the engine reads, by their type as DuckDB prepared them.
func (e *Engine) checkStatement(typ bindings.StatementType, stmt string) *Error {
	switch typ {
	case bindings.StatementTypeAttach, bindings.StatementTypeDetach:
		return readOnlyError("ATTACH and DETACH are not allowed: flowq reads the dataset through the views flows and tgw_flows")
	case bindings.StatementTypeLoad, bindings.StatementTypeExtension, bindings.StatementTypeUpdateExtensions:
		return extensionsError()
	case bindings.StatementTypeExport, bindings.StatementTypeCopyDatabase:
		return readOnlyError("EXPORT DATABASE and COPY FROM DATABASE are not allowed: use COPY (query) TO 'file' outside the dataset folder")
	case bindings.StatementTypeCopy:
		target, ok := copyTarget(stmt)
		if !ok {
			// COPY table FROM 'file' reads into an in-memory table.
			return nil
		}
		if target == "" {
			return readOnlyError("COPY ... TO needs a quoted file path, such as COPY (SELECT ...) TO 'out.csv'")
		}
		return e.checkWritePath(target)
	}
	return nil
}

// CheckWritePath returns an error of KindReadOnly when path lies inside the
// dataset folder or another protected folder, for callers that write
// results to files themselves.
func (e *Engine) CheckWritePath(path string) error {
	if err := e.checkWritePath(path); err != nil {
		return err
	}
	return nil
}

// checkWritePath rejects a file path that lies inside the dataset folder or
// another protected folder, following symbolic links.
func (e *Engine) checkWritePath(target string) *Error {
	resolved := resolvePath(target)
	for _, root := range e.protected {
		if within(resolved, root) {
			return readOnlyError("writing to %q is not allowed: it is inside the dataset folder %q, which flowq never changes; write the output elsewhere", target, root)
		}
	}
	return nil
}

// resolvePath returns the absolute form of p with symbolic links of its
// longest existing ancestor resolved.
func resolvePath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	rest := ""
	dir := abs
	for {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(real, rest)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
}

// within reports whether path is root or lies below it.
func within(path, root string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// protectedRoot returns the resolved form of a folder that statements must
// not write into.
func protectedRoot(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("empty folder")
	}
	if _, err := os.Stat(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	return resolvePath(dir), nil
}

// copyTarget finds the file that a COPY statement writes. ok is false for
// COPY ... FROM, which reads. target is "" when the statement writes to
// something other than a quoted path.
func copyTarget(stmt string) (target string, ok bool) {
	depth := 0
	for i := 0; i < len(stmt); {
		c := stmt[i]
		switch {
		case c == '(':
			depth++
			i++
		case c == ')':
			depth--
			i++
		case depth == 0 && isWordStart(c):
			j := i
			for j < len(stmt) && isWordByte(stmt[j]) {
				j++
			}
			word := strings.ToUpper(stmt[i:j])
			if word == "FROM" {
				return "", false
			}
			if word == "TO" {
				k := j
				for k < len(stmt) && unicode.IsSpace(rune(stmt[k])) {
					k++
				}
				if k < len(stmt) && stmt[k] == '\'' {
					end := skipToken(stmt, k)
					return strings.ReplaceAll(stmt[k+1:end-1], "''", "'"), true
				}
				return "", true
			}
			i = j
		default:
			i = skipToken(stmt, i)
		}
	}
	return "", false
}

func isWordStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isWordByte(c byte) bool {
	return isWordStart(c) || (c >= '0' && c <= '9')
}

// firstWord returns the first keyword of a statement, after comments.
func firstWord(stmt string) string {
	for i := 0; i < len(stmt); {
		c := stmt[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(':
			i++
		case strings.HasPrefix(stmt[i:], "--") || strings.HasPrefix(stmt[i:], "/*"):
			i = skipToken(stmt, i)
		case isWordStart(c):
			j := i
			for j < len(stmt) && isWordByte(stmt[j]) {
				j++
			}
			return stmt[i:j]
		default:
			return ""
		}
	}
	return ""
}
