package notebooks

import (
	"regexp"
	"strings"
)

var integerRE = regexp.MustCompile(`^-?[0-9]+$`)

// frontMatter reads the optional block between two "---" lines at the top:
// title, description and params, one "key: value" a line, with one
// indented "name: default" line per parameter under params.
func (p *parser) frontMatter() error {
	if len(p.lines) == 0 || trimCR(strings.TrimSuffix(p.lines[0], "\n")) != "---" {
		return nil
	}
	inParams := false
	seen := map[string]bool{}
	for i := 1; i < len(p.lines); i++ {
		lineNo := i + 1
		line := trimCR(strings.TrimSuffix(p.lines[i], "\n"))
		if line == "---" {
			p.pos = i + 1
			return nil
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indented := line[0] == ' ' || line[0] == '\t'
		key, value, ok := strings.Cut(trimmed, ":")
		if !ok {
			return p.errorf(lineNo, "", "invalid front matter line %q: write key: value", trimmed)
		}
		key = strings.TrimSpace(key)
		if indented {
			if !inParams {
				return p.errorf(lineNo, "", "unexpected indented line %q: only the entries under params are indented", trimmed)
			}
			if err := p.paramDecl(lineNo, key, value); err != nil {
				return err
			}
			continue
		}
		inParams = false
		if seen[key] {
			return p.errorf(lineNo, "", "front matter key %q is given twice", key)
		}
		seen[key] = true
		v, _, err := unquoteScalar(value)
		if err != nil {
			return p.errorf(lineNo, "", "front matter key %q: %v", key, err)
		}
		switch key {
		case "title":
			p.nb.Title = v
		case "description":
			p.nb.Description = v
		case "params":
			if v != "" {
				return p.errorf(lineNo, "", "params takes indented lines, one \"name: default\" each, not a value on its own line")
			}
			inParams = true
		default:
			return p.errorf(lineNo, "", "unknown front matter key %q: use title, description or params", key)
		}
	}
	return p.errorf(1, "", "the front matter is not closed: end it with a line of ---")
}

func (p *parser) paramDecl(lineNo int, name, value string) error {
	if !identRE.MatchString(name) {
		return p.errorf(lineNo, "", "invalid parameter name %q: use lower-case letters, digits and _, starting with a letter or _", name)
	}
	if name == ParamSince || name == ParamUntil {
		return p.errorf(lineNo, "", "parameter %q is set by --since and --until and cannot be declared", name)
	}
	if p.nb.Param(name) != nil {
		return p.errorf(lineNo, "", "parameter %q is declared twice", name)
	}
	v, quoted, err := unquoteScalar(value)
	if err != nil {
		return p.errorf(lineNo, "", "parameter %q: %v", name, err)
	}
	param := Param{Name: name, Default: v, Type: ParamString, Line: lineNo}
	switch {
	case !quoted && v == "":
		param.Required = true
	case !quoted && integerRE.MatchString(v):
		param.Type = ParamInteger
	}
	p.nb.Params = append(p.nb.Params, param)
	return nil
}
