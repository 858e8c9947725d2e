package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LocalSource lists and reads flow-log files on the local file system.
type LocalSource struct {
	roots []localRoot
}

// localRoot is one path given to NewLocalSource.
type localRoot struct {
	// path is the path as given, used in Name and in messages.
	path string
	// isDir is false for a single file, whose key is its base name.
	isDir bool
}

// localEntry is one listed file and the root it was found under.
type localEntry struct {
	obj  Object
	root string
}

// NewLocalSource returns a source over paths, each a folder or a single
// file. A folder is walked recursively and its keys are the slash-separated
// paths relative to it. A file given directly has its base name as key.
// Files and folders whose names start with '.' are skipped inside a walk, but
// a path given here is used even when its own name starts with '.'.
func NewLocalSource(paths ...string) (*LocalSource, error) {
	if len(paths) == 0 {
		return nil, errors.New("create local source: no path given, expected a folder of flow-log files or a single file")
	}

	roots := make([]localRoot, 0, len(paths))
	for _, path := range paths {
		info, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open local source %q: no such file or folder, pass an existing folder of flow-log files, a single file, or an s3://bucket/prefix URL: %w", path, err)
		}
		if err != nil {
			return nil, fmt.Errorf("open local source %q: %w", path, err)
		}
		if !info.IsDir() && !info.Mode().IsRegular() {
			return nil, fmt.Errorf("open local source %q: not a folder or a regular file (mode %v), pass a folder of flow-log files or a single file", path, info.Mode())
		}
		roots = append(roots, localRoot{path: path, isDir: info.IsDir()})
	}
	return &LocalSource{roots: roots}, nil
}

// Name returns the paths as given, separated by spaces.
func (s *LocalSource) Name() string {
	names := make([]string, len(s.roots))
	for i, root := range s.roots {
		names[i] = root.path
	}
	return strings.Join(names, " ")
}

// List walks every path given to NewLocalSource, then calls fn for each
// regular file in lexical key order over all paths. A symbolic link to a
// regular file is listed, but a link to a folder is not followed. Two files
// with the same key under different paths are an error, because Open could
// not tell them apart.
func (s *LocalSource) List(ctx context.Context, fn func(Object) error) error {
	var entries []localEntry
	for _, root := range s.roots {
		var err error
		if root.isDir {
			entries, err = walkFolder(ctx, root.path, entries)
		} else {
			entries, err = statFile(root.path, entries)
		}
		if err != nil {
			return err
		}
	}

	sort.Slice(entries, func(i, j int) bool { return entries[i].obj.Key < entries[j].obj.Key })
	for i := 1; i < len(entries); i++ {
		if entries[i].obj.Key == entries[i-1].obj.Key {
			return fmt.Errorf("list local source: key %q is in both %q and %q, pass paths whose files have distinct relative paths", entries[i].obj.Key, entries[i-1].root, entries[i].root)
		}
	}

	for _, entry := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(entry.obj); err != nil {
			return err
		}
	}
	return nil
}

// walkFolder appends the regular files below root, skipping hidden names.
func walkFolder(ctx context.Context, root string, entries []localEntry) ([]localEntry, error) {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("list %q: %w", path, err)
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}

		// Stat follows symbolic links, so a link to a file is listed with
		// the target's size and time.
		info, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("list %q: %w", path, err)
		}
		if !info.Mode().IsRegular() {
			return nil
		}

		rel, err := filepath.Rel(root, path)
		if err != nil {
			return fmt.Errorf("list %q: %w", path, err)
		}
		entries = append(entries, localEntry{obj: fileObject(filepath.ToSlash(rel), info), root: root})
		return nil
	})
	return entries, err
}

// statFile appends the single file at path, keyed by its base name.
func statFile(path string, entries []localEntry) ([]localEntry, error) {
	info, err := os.Stat(path)
	if err != nil {
		return entries, fmt.Errorf("list %q: %w", path, err)
	}
	return append(entries, localEntry{obj: fileObject(filepath.Base(path), info), root: path}), nil
}

func fileObject(key string, info fs.FileInfo) Object {
	return Object{Key: key, Size: info.Size(), Modified: info.ModTime()}
}

// Open opens the file that obj.Key names, under the first path given to
// NewLocalSource that has it.
func (s *LocalSource) Open(ctx context.Context, obj Object) (io.ReadCloser, error) {
	path, err := s.resolve(obj.Key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", obj.Key, err)
	}
	return f, nil
}

// resolve returns the file path of key. A key that would leave its folder,
// such as "../x", is rejected.
func (s *LocalSource) resolve(key string) (string, error) {
	native := filepath.FromSlash(key)
	if key == "" || !filepath.IsLocal(native) {
		return "", fmt.Errorf("open %q: invalid key, expected a relative path inside one of %q", key, s.Name())
	}

	for _, root := range s.roots {
		if !root.isDir {
			if filepath.Base(root.path) == key {
				return root.path, nil
			}
			continue
		}
		path := filepath.Join(root.path, native)
		if _, err := os.Lstat(path); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("open %q: file not found under %q: %w", key, s.Name(), fs.ErrNotExist)
}
