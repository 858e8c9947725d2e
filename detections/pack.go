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
	rules, errs := loadFS(builtinFS, "packs/builtin", "builtin:", "")
	if len(errs) > 0 {
		return rules, fmt.Errorf("BUG: built-in pack: %w", errs[0])
	}
	return rules, nil
}

// LoadPack parses every .sql file of a folder, in name order, or the one
// .sql file that dir names. A file that does not parse is left out and
// reported in errs, as a *ParseError, so the other rules still run. A
// second file with an id already read in the pack is reported the same
// way.
func LoadPack(dir string) (rules []*Rule, errs []error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, []error{fmt.Errorf("read rule pack %q: %w", dir, err)}
	}
	if !info.IsDir() {
		if !strings.HasSuffix(dir, ".sql") {
			return nil, []error{fmt.Errorf("read rule pack %q: not a folder or a .sql file", dir)}
		}
		return loadFS(os.DirFS(filepath.Dir(dir)), ".", filepath.Dir(dir)+string(filepath.Separator), filepath.Base(dir))
	}
	return loadFS(os.DirFS(dir), ".", dir+string(filepath.Separator), "")
}

// loadFS parses the .sql files of dir in fsys, or only the file of that
// name when only is not "". Each rule's File is prefix + its file name.
func loadFS(fsys fs.FS, dir, prefix, only string) ([]*Rule, []error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, []error{fmt.Errorf("read rule pack %q: %w", strings.TrimSuffix(prefix, string(filepath.Separator)), err)}
	}
	var rules []*Rule
	var errs []error
	files := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") || (only != "" && e.Name() != only) {
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
		if first, ok := files[r.ID]; ok {
			errs = append(errs, &ParseError{File: r.File, Err: fmt.Errorf("%w: id %q is also the id of %s: give each rule of a pack its own id", ErrInvalidRule, r.ID, first)})
			continue
		}
		files[r.ID] = r.File
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
