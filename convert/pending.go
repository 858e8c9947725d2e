package convert

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/flowq/flowq/internal/dataset"
)

// A commit writes an empty pending marker, dataset.PendingDir/<commit id>,
// and makes it durable before it moves any data or rejects file into place.
// It removes the marker once its manifest line is durable. So recovery can
// distinguish the leftovers of an interrupted commit, which are unlisted
// files of a commit with a marker, from unlisted files of any other commit
// id, which it must not remove.

func pendingDir(root string) string {
	return filepath.Join(root, filepath.FromSlash(dataset.PendingDir))
}

// markPending writes the pending marker of a commit and syncs it, its
// folder and the folder's parent, which MkdirAll may have just changed.
func markPending(root, commit string) error {
	dir := pendingDir(root)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the pending folder %q: %w", dir, err)
	}
	path := filepath.Join(dir, commit)
	if err := writeSynced(path, nil); err != nil {
		return fmt.Errorf("cannot write pending marker %q: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// clearPending removes the pending marker of a commit whose manifest line is
// durable. The removal need not be durable: recovery removes the marker of a
// commit that the manifest lists without removing any of its files.
func clearPending(root, commit string) error {
	err := os.Remove(filepath.Join(pendingDir(root), commit))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// readPendingMarkers returns the commit ids that have a pending marker.
// Files in the folder that are not named like a commit id are ignored.
func readPendingMarkers(root string) (map[string]bool, error) {
	entries, err := os.ReadDir(pendingDir(root))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the pending folder: %w", err)
	}
	commits := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() && commitID.MatchString(e.Name()) {
			commits[e.Name()] = true
		}
	}
	return commits, nil
}

// removePendingMarkers removes the markers of the given commits after
// recovery has removed their files.
func removePendingMarkers(root string, commits map[string]bool) error {
	for commit := range commits {
		if err := clearPending(root, commit); err != nil {
			return fmt.Errorf("cannot remove the pending marker of commit %s: %w", commit, err)
		}
	}
	return nil
}
