package convert

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/flowq/flowq/internal/dataset"
)

// ManifestObject records one converted source object.
type ManifestObject struct {
	Key string `json:"key"`
	// Version is the object's ETag, or its size and modification time.
	Version string   `json:"version"`
	Size    int64    `json:"size"`
	Rows    int64    `json:"rows"`
	Rejects int64    `json:"rejects"`
	Files   []string `json:"files"`
	// RejectsFile holds the object's rejected lines, relative to the
	// dataset root; empty when no line was rejected.
	RejectsFile string    `json:"rejects_file,omitempty"`
	Time        time.Time `json:"converted_at"`
}

// manifestCommit is one line of the manifest: everything one commit made
// durable. A conversion appends one line per commit, after the commit's data
// files and rejects files are in place. A line cut short by a crash is
// ignored, so the next run removes the files it would have listed.
type manifestCommit struct {
	Commit  string           `json:"commit"`
	Time    time.Time        `json:"time"`
	Source  string           `json:"source"`
	Objects []ManifestObject `json:"objects"`
	// Files are the data files the commit added, relative to the dataset root.
	Files []string `json:"files"`
	// Rejects are the rejects files the commit added.
	Rejects []string `json:"rejects,omitempty"`
	// Replaced maps data files that the commit rewrote to their new files,
	// or to "" when no row was left. The old files no longer count.
	Replaced map[string]string `json:"replaced,omitempty"`
	// RemovedRejects are rejects files of the earlier versions of changed
	// objects. They no longer count.
	RemovedRejects []string `json:"removed_rejects,omitempty"`
}

// manifest is the state that all commits so far add up to.
type manifest struct {
	path    string
	objects map[string]ManifestObject
	files   map[string]bool
	rejects map[string]bool
	// replaced are the data files that commits replaced and the rejects
	// files they removed. A crash between a commit's manifest line and the
	// removal of these files leaves them on disk for recovery to remove.
	replaced map[string]bool
	// validSize is the length of the manifest up to its last complete line.
	validSize int64
	commits   int
}

func loadManifest(root string) (*manifest, error) {
	m := &manifest{
		path:     filepath.Join(root, filepath.FromSlash(dataset.ManifestFile)),
		objects:  map[string]ManifestObject{},
		files:    map[string]bool{},
		rejects:  map[string]bool{},
		replaced: map[string]bool{},
	}
	data, err := os.ReadFile(m.path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the manifest: %w", err)
	}
	var offset int64
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		line := sc.Bytes()
		lineLen := int64(len(line)) + 1
		// A line without its newline was cut short by a crash.
		if offset+lineLen > int64(len(data)) {
			break
		}
		var c manifestCommit
		if err := json.Unmarshal(line, &c); err != nil {
			return nil, fmt.Errorf("manifest %s line %d is not valid JSON (%v); move the file aside to convert everything again", m.path, m.commits+1, err)
		}
		m.apply(&c)
		offset += lineLen
	}
	m.validSize = offset
	return m, nil
}

func (m *manifest) apply(c *manifestCommit) {
	if len(c.Replaced) > 0 {
		for old := range c.Replaced {
			delete(m.files, old)
			m.replaced[old] = true
		}
		for key, o := range m.objects {
			var files []string
			for _, f := range o.Files {
				if nf, ok := c.Replaced[f]; !ok {
					files = append(files, f)
				} else if nf != "" {
					files = append(files, nf)
				}
			}
			o.Files = files
			m.objects[key] = o
		}
	}
	for _, o := range c.Objects {
		m.objects[o.Key] = o
	}
	for _, f := range c.Files {
		m.files[f] = true
	}
	for _, f := range c.Rejects {
		m.rejects[f] = true
	}
	for _, f := range c.RemovedRejects {
		delete(m.rejects, f)
		m.replaced[f] = true
	}
	m.commits++
}

// append writes a commit as one line, syncs the manifest and applies it.
func (m *manifest) append(c *manifestCommit) error {
	line, err := json.Marshal(c)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if err := os.MkdirAll(filepath.Dir(m.path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(m.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("cannot open the manifest: %w", err)
	}
	defer f.Close()
	// Drop a torn line a crash left behind before appending.
	if err := f.Truncate(m.validSize); err != nil {
		return fmt.Errorf("cannot write the manifest: %w", err)
	}
	if _, err := f.WriteAt(line, m.validSize); err != nil {
		return fmt.Errorf("cannot write the manifest: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot sync the manifest: %w", err)
	}
	// The first line may have created the file, whose folder entry must be
	// durable before the commit's pending marker is removed.
	if m.validSize == 0 {
		if err := syncDir(filepath.Dir(m.path)); err != nil {
			return err
		}
	}
	m.validSize += int64(len(line))
	m.apply(c)
	return nil
}
