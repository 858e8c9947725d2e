package convert

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// ErrUnlistedFiles means the dataset contains data or rejects files named
// the way flowq names them that its manifest does not list and that no
// interrupted conversion of this dataset left. The conversion stops before
// it writes anything, because removing them could lose data.
var ErrUnlistedFiles = errors.New("the manifest does not list files named like flowq's own")

// commitIDPattern matches a commit id: the UTC time and 6 hex digits.
const commitIDPattern = `\d{8}T\d{6}Z-[0-9a-f]{6}`

var commitID = regexp.MustCompile(`^` + commitIDPattern + `$`)

// ownFileName matches the data and rejects files flowq names: the commit id,
// a sequence number and the file's suffix. The first group is the commit id.
var ownFileName = regexp.MustCompile(`^(` + commitIDPattern + `)-\d+(` +
	regexp.QuoteMeta(dataset.ExtraFileSuffix) + `|` + regexp.QuoteMeta(dataset.DataFileExt) + `|\.jsonl)$`)

// recoverDataset removes what interrupted conversions of this dataset left.
// These are temporary files, unlisted files of commits that have a pending
// marker, and files that a commit in the manifest replaced or removed. The
// objects of an unlisted commit are not in the manifest, so this run
// converts them again. Then it removes the pending markers.
//
// Any other file named like flowq's own that the manifest does not list
// makes it return ErrUnlistedFiles before it removes anything. Such a file
// is a sign of a lost manifest or of a file copied in from elsewhere.
// A dataset written by a flowq without pending markers stops the same way
// when an interrupted conversion left files in place. That is acceptable,
// because the error explains how to go on.
func recoverDataset(root string, man *manifest, log *slog.Logger) error {
	pending, err := readPendingMarkers(root)
	if err != nil {
		return err
	}
	var remove, unlisted []string
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
		if strings.HasSuffix(name, dataset.TempSuffix) {
			remove = append(remove, rel)
			return nil
		}
		m := ownFileName.FindStringSubmatch(name)
		switch {
		case m == nil, man.files[rel], man.rejects[rel]:
		case man.replaced[rel], pending[m[1]]:
			remove = append(remove, rel)
		default:
			unlisted = append(unlisted, rel)
		}
		return nil
	}
	for _, dir := range []string{dataset.FlowsTable, dataset.TGWFlowsTable, dataset.RejectsDir} {
		if err := filepath.WalkDir(filepath.Join(root, filepath.FromSlash(dir)), check); err != nil {
			return err
		}
	}
	if len(unlisted) > 0 {
		return newUnlistedFilesError(root, unlisted)
	}

	if err := removeLeftovers(root, remove, log); err != nil {
		return err
	}
	if len(remove) > 0 {
		log.Info("removed files of an interrupted conversion", "files", len(remove))
	}
	return removePendingMarkers(root, pending)
}

// unlistedFilesError is an ErrUnlistedFiles with the count, the first names
// and what to do.
type unlistedFilesError struct{ msg string }

func (e *unlistedFilesError) Error() string { return e.msg }
func (e *unlistedFilesError) Unwrap() error { return ErrUnlistedFiles }

func newUnlistedFilesError(root string, unlisted []string) error {
	slices.Sort(unlisted)
	count, names, pronoun, noun := "1 data or rejects file", fmt.Sprintf("%q", unlisted[0]), "it", "the file"
	if n := len(unlisted); n > 1 {
		count, pronoun, noun = fmt.Sprintf("%d data or rejects files", n), "them", "these files"
		names += fmt.Sprintf(", %q", unlisted[1])
		if n > 2 {
			names += fmt.Sprintf(" and %d more", n-2)
		}
	}
	manifest := filepath.Join(root, filepath.FromSlash(dataset.ManifestFile))
	return &unlistedFilesError{fmt.Sprintf("cannot convert into %q: the manifest does not list %s named like flowq's own (%s), "+
		"and no interrupted conversion of this dataset left %s; restore %q if it was lost, move %s out of the dataset, "+
		"or convert into a new folder", root, count, names, pronoun, manifest, noun)}
}

// removeLeftovers removes files given relative to root and syncs their
// folders, so that no removed file comes back after its pending marker is
// gone.
func removeLeftovers(root string, rels []string, log *slog.Logger) error {
	dirs := map[string]bool{}
	for _, rel := range rels {
		path := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("cannot remove %q left by an interrupted conversion: %w", path, err)
		}
		dirs[filepath.Dir(path)] = true
		log.Debug("removed file of an interrupted conversion", "path", rel)
	}
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			return err
		}
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
