package notebooks

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Bindings are the SQL literals that a run writes in place of each
// parameter, by name.
type Bindings map[string]string

// bind checks the parameters given to a run against the notebook and
// returns the literal of every parameter the cells may use. since and
// until are zero when unbounded.
func bind(nb *Notebook, given map[string]string, since, until time.Time) (Bindings, error) {
	b := Bindings{ParamSince: timeLiteral(since, "-infinity"), ParamUntil: timeLiteral(until, "infinity")}
	for name := range given {
		if name == ParamSince || name == ParamUntil {
			return nil, fmt.Errorf("parameter %q is set by --since and --until, not --param: %w", name, ErrParam)
		}
		if !identRE.MatchString(name) {
			return nil, fmt.Errorf("invalid parameter name %q: use lower-case letters, digits and _: %w", name, ErrParam)
		}
	}
	if len(nb.Params) > 0 {
		for _, name := range sortedKeys(given) {
			if nb.Param(name) == nil {
				return nil, fmt.Errorf("notebook %q has no parameter %q (it has %s): %w", nb.Name, name, paramNames(nb), ErrParam)
			}
		}
	}
	for _, p := range nb.Params {
		value, ok := given[p.Name]
		if !ok && p.Required {
			return nil, fmt.Errorf("notebook %q needs parameter %q: give it with --param %s=VALUE: %w", nb.Name, p.Name, p.Name, ErrParam)
		}
		if !ok {
			value = p.Default
		}
		lit, err := literal(p.Type, value)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", p.Name, err)
		}
		b[p.Name] = lit
	}
	for name, value := range given {
		if _, ok := b[name]; !ok {
			b[name] = stringLiteral(value)
		}
	}
	for _, c := range nb.Cells() {
		for _, name := range c.Params {
			if _, ok := b[name]; !ok {
				return nil, fmt.Errorf("%s:%d: cell %q: unknown parameter {{%s}}: give it with --param %s=VALUE: %w",
					nb.Name, c.ParamLine(name), c.Table(), name, name, ErrParam)
			}
		}
	}
	return b, nil
}

// literal writes value as a SQL literal of type t.
func literal(t ParamType, value string) (string, error) {
	if t == ParamInteger {
		v := strings.TrimSpace(value)
		if !integerRE.MatchString(v) {
			return "", fmt.Errorf("invalid integer %q: %w", value, ErrParam)
		}
		return v, nil
	}
	return stringLiteral(value), nil
}

// stringLiteral quotes s as a SQL string literal. Doubling the quotes is
// the whole escape: DuckDB reads backslashes in '…' literally.
func stringLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// timeLiteral writes t as a TIMESTAMPTZ literal in UTC, or the infinity
// given for a zero time.
func timeLiteral(t time.Time, infinity string) string {
	if t.IsZero() {
		return "TIMESTAMPTZ '" + infinity + "'"
	}
	return "TIMESTAMPTZ '" + t.UTC().Format("2006-01-02 15:04:05.999999") + "+00'"
}

// substitute writes the literals of the bindings in place of the cell's
// placeholders.
func substitute(c *Cell, b Bindings) (string, error) {
	var out strings.Builder
	last := 0
	err := scanSQL(c.SQL, func(t token) error {
		if t.kind != tokPlaceholder {
			return nil
		}
		m := placeholderRE.FindStringSubmatch(t.text)
		if m == nil {
			return fmt.Errorf("cell %q: invalid parameter %q: %w", c.Table(), t.text, ErrParam)
		}
		lit, ok := b[m[1]]
		if !ok {
			return fmt.Errorf("cell %q: unknown parameter %s: %w", c.Table(), t.text, ErrParam)
		}
		out.WriteString(c.SQL[last:t.start])
		out.WriteString(lit)
		last = t.end
		return nil
	})
	if err != nil {
		return "", err
	}
	out.WriteString(c.SQL[last:])
	return out.String(), nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func paramNames(nb *Notebook) string {
	names := make([]string, len(nb.Params))
	for i, p := range nb.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}
