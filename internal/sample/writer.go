package sample

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ObjectWriter stores the objects of an archive, such as files in a folder
// or objects in a bucket.
//
// Generate calls WriteObject from one goroutine at a time, in the same
// order for the same options. body is only valid during the call: a writer
// that keeps it must copy it. A key that ends in '/' is a folder marker
// with an empty body. An error stops the generation.
type ObjectWriter interface {
	WriteObject(key string, body []byte) error
}

// errKeyOutsideFolder is wrapped when a key would leave the DirWriter's folder.
var errKeyOutsideFolder = errors.New("the key must be a relative path inside the folder")

// DirWriter writes objects as files below a local folder, creating the
// folders on the way. A folder marker becomes an empty folder. It is not
// safe for concurrent use.
type DirWriter struct {
	root    string
	created map[string]bool
}

// NewDirWriter returns a writer into root, which must exist or be creatable.
func NewDirWriter(root string) *DirWriter {
	return &DirWriter{root: root, created: map[string]bool{}}
}

// WriteObject writes body to the file root/key.
func (d *DirWriter) WriteObject(key string, body []byte) error {
	rel := filepath.FromSlash(strings.TrimSuffix(key, "/"))
	if !filepath.IsLocal(rel) {
		return fmt.Errorf("sample: object key %q is invalid: %w", key, errKeyOutsideFolder)
	}
	p := filepath.Join(d.root, rel)
	if strings.HasSuffix(key, "/") {
		return d.mkdir(p)
	}
	if err := d.mkdir(filepath.Dir(p)); err != nil {
		return err
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		return fmt.Errorf("sample: write object %q: %w", key, err)
	}
	return nil
}

func (d *DirWriter) mkdir(dir string) error {
	if d.created[dir] {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sample: create folder %q: %w", dir, err)
	}
	d.created[dir] = true
	return nil
}

// GenerateToDir writes an archive into the local folder dir, creating it
// if needed, and returns its Truth.
func GenerateToDir(ctx context.Context, dir string, opt Options) (*Truth, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sample: create folder %q: %w", dir, err)
	}
	return Generate(ctx, NewDirWriter(dir), opt)
}
