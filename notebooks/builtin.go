package notebooks

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed builtin/*.md
var builtinFS embed.FS

// BuiltinNames returns the names of the embedded notebooks, sorted.
func BuiltinNames() []string {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		panic("BUG: embedded notebooks missing: " + err.Error())
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".md"); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// BuiltinSource returns the text of the embedded notebook name.
func BuiltinSource(name string) ([]byte, error) {
	if !identRE.MatchString(name) {
		return nil, fmt.Errorf("built-in notebook %q: %w (built-in notebooks: %s)", name, ErrNotFound, strings.Join(BuiltinNames(), ", "))
	}
	src, err := builtinFS.ReadFile(path.Join("builtin", name+".md"))
	if err != nil {
		return nil, fmt.Errorf("built-in notebook %q: %w (built-in notebooks: %s)", name, ErrNotFound, strings.Join(BuiltinNames(), ", "))
	}
	return src, nil
}

// Builtin parses the embedded notebook name.
func Builtin(name string) (*Notebook, error) {
	src, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return Parse(name, src)
}
