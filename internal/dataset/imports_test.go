package dataset

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/flowq/flowq/"

// forbidden lists, for each package folder, module packages it must not
// import: nothing imports the CLI, and the packages that only read the
// dataset never import the converter. Benchmark programs are exempt.
var forbidden = map[string][]string{
	"convert":    {"cmd/", "query", "detections", "notebooks"},
	"query":      {"cmd/", "convert", "detections", "notebooks"},
	"detections": {"cmd/", "convert", "notebooks"},
	"notebooks":  {"cmd/", "convert"},
	"internal/":  {"cmd/", "convert", "query", "detections", "notebooks"},
}

// TestPackageImports keeps the import rules of docs/architecture.md true.
func TestPackageImports(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "internal/bench/") {
			return nil // benchmark programs drive the whole product, like cmd/
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for dir, bans := range forbidden {
			if !strings.HasPrefix(rel, dir) || (!strings.HasSuffix(dir, "/") && !strings.HasPrefix(rel, dir+"/")) {
				continue
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				for _, ban := range bans {
					if strings.HasPrefix(p, module+ban) {
						t.Errorf("%s imports %s", rel, p)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked %d files; the walk did not find the repository", checked)
	}
}
