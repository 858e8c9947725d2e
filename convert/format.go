package convert

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/flowq/flowq/internal/dataset"
)

// declareFormat writes dataset.FormatFile into a dataset that holds no
// data files yet, so that readers know every file has the current layout.
// A dataset that holds data files but no format file was written by an
// earlier flowq. It stays format 1, because its files lack the derived
// columns, and a warning explains what that costs.
func declareFormat(root string, format int, man *manifest, log *slog.Logger) error {
	if format >= dataset.Format {
		return nil
	}
	hasData, err := hasDataFiles(root, man)
	if err != nil {
		return err
	}
	if hasData {
		log.Warn("dataset written by an earlier flowq (format 1): queries over it merge files by column name "+
			"and compute the address classes of old files on the fly; converting into a new folder gives the faster layout",
			"dataset", root, "format", format)
		return nil
	}
	return writeFormatFile(root)
}

// hasDataFiles reports whether the manifest lists a data file or a table
// folder contains one. Files that are still being written do not count.
func hasDataFiles(root string, man *manifest) (bool, error) {
	if len(man.files) > 0 {
		return true, nil
	}
	found := false
	check := func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), dataset.DataFileExt) {
			found = true
			return fs.SkipAll
		}
		return nil
	}
	for _, table := range []string{dataset.FlowsTable, dataset.TGWFlowsTable} {
		if err := filepath.WalkDir(filepath.Join(root, table), check); err != nil {
			return false, fmt.Errorf("cannot look for data files in %q: %w", root, err)
		}
		if found {
			return true, nil
		}
	}
	return false, nil
}

// writeFormatFile writes dataset.Format to dataset.FormatFile durably. It
// writes and syncs a temporary file, renames it into place and syncs the
// folder.
func writeFormatFile(root string) error {
	path := filepath.Join(root, filepath.FromSlash(dataset.FormatFile))
	tmp := path + dataset.TempSuffix
	if err := writeSynced(tmp, []byte(strconv.Itoa(dataset.Format)+"\n")); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write the dataset format file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write the dataset format file: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// writeSynced creates or truncates a file, writes data and syncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
