package detections

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed packs/builtin/*.sql
var builtinFS embed.FS

// BuiltinPack parses the rules embedded in flowq. An error here is a bug
// that the package tests catch.
func BuiltinPack() ([]*Rule, error) {
	rules, errs := loadFS(builtinFS, "packs/builtin", "builtin:")
	if len(errs) > 0 {
		return rules, fmt.Errorf("BUG: built-in pack: %w", errs[0])
	}
	return rules, nil
}

// LoadPack parses every .sql file of a folder, in name order. A file that
// does not parse is left out and reported in errs, as a *ParseError, so
// the other rules still run.
func LoadPack(dir string) (rules []*Rule, errs []error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, []error{fmt.Errorf("read rule pack %q: %w", dir, err)}
	}
	if !info.IsDir() {
		return nil, []error{fmt.Errorf("read rule pack %q: not a folder", dir)}
	}
	return loadFS(os.DirFS(dir), ".", dir+string(filepath.Separator))
}

func loadFS(fsys fs.FS, dir, prefix string) ([]*Rule, []error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, []error{fmt.Errorf("read rule pack %q: %w", strings.TrimSuffix(prefix, string(filepath.Separator)), err)}
	}
	var rules []*Rule
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, fmt.Errorf("read rule file %q: %w", prefix+e.Name(), err))
			continue
		}
		r, err := ParseRule(prefix+e.Name(), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rules = append(rules, r)
	}
	return rules, errs
}

// Merge combines packs in order. A rule whose id was already loaded
// replaces the earlier one, so a user's pack can override a built-in rule.
func Merge(packs ...[]*Rule) []*Rule {
	byID := map[string]int{}
	var out []*Rule
	for _, pack := range packs {
		for _, r := range pack {
			if i, ok := byID[r.ID]; ok {
				out[i] = r
				continue
			}
			byID[r.ID] = len(out)
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
