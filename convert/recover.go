package convert

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/flowq/flowq/internal/dataset"
)

// ErrLocked means another conversion is writing the dataset.
var ErrLocked = errors.New("another conversion is writing this dataset")

// lockDataset takes the dataset's lock file for this process. The lock is
// advisory and released by the kernel when the process dies.
func lockDataset(root string) (unlock func(), err error) {
	path := filepath.Join(root, filepath.FromSlash(dataset.LockFile))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the dataset folder %q: %w", root, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open lock file %q: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s); wait for it to finish", ErrLocked, root)
		}
		return nil, fmt.Errorf("cannot lock %q: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// ownFileName matches the data and rejects files flowq names: the commit id
// (UTC time and 6 hex digits), a sequence number and the file's suffix.
var ownFileName = regexp.MustCompile(`^\d{8}T\d{6}Z-[0-9a-f]{6}-\d+(` +
	regexp.QuoteMeta(dataset.ExtraFileSuffix) + `|` + regexp.QuoteMeta(dataset.DataFileExt) + `|\.jsonl)$`)

// recoverDataset removes what an interrupted conversion left: temporary
// files, and files of commits whose manifest line was never written. Their
// objects are not in the manifest, so this run converts them again.
func recoverDataset(root string, man *manifest, log *slog.Logger) error {
	var removed int
	check := func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		name := d.Name()
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasSuffix(name, dataset.TempSuffix):
		case ownFileName.MatchString(name) && !man.files[rel] && !man.rejects[rel]:
		default:
			return nil
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("cannot remove %q left by an interrupted conversion: %w", path, err)
		}
		removed++
		log.Debug("removed file of an interrupted conversion", "path", rel)
		return nil
	}
	for _, dir := range []string{dataset.FlowsTable, dataset.TGWFlowsTable, dataset.RejectsDir} {
		if err := filepath.WalkDir(filepath.Join(root, filepath.FromSlash(dir)), check); err != nil {
			return err
		}
	}
	if removed > 0 {
		log.Info("removed files of an interrupted conversion", "files", removed)
	}
	return nil
}

// syncDir makes the entries of a folder durable, so that renames into it
// survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cannot sync folder %q: %w", dir, err)
	}
	return nil
}
