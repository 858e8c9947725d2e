package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrNewerFormat means that a newer flowq wrote the dataset, in a format
// that this flowq does not know.
var ErrNewerFormat = errors.New("a newer flowq wrote this dataset")

// ReadFormat returns the format of the dataset at root: the number in its
// FormatFile, or 1 when the file does not exist. Its errors are those of
// ParseFormat.
func ReadFormat(root string) (int, error) {
	path := filepath.Join(root, filepath.FromSlash(FormatFile))
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cannot read the dataset format file: %w", err)
	}
	return ParseFormat(fmt.Sprintf("%q", path), data)
}

// ParseFormat returns the format in the content of a format file, which
// errors call name. The error wraps ErrNewerFormat when the number is
// greater than Format. Any content other than a positive decimal number,
// with optional white space around it, is an error that quotes the content.
func ParseFormat(name string, data []byte) (int, error) {
	text := strings.TrimSpace(string(data))
	if text == "" || strings.Trim(text, "0123456789") != "" || strings.Trim(text, "0") == "" {
		prefix := data
		if len(prefix) > 64 {
			prefix = prefix[:64]
		}
		return 0, fmt.Errorf("invalid dataset format file %s: its content %q is not a format number; write %d into it if every data file has the columns src_private and dst_private, or remove it to read the dataset as format 1", name, prefix, Format)
	}
	// Atoi fails here only for a number beyond the range of int.
	n, err := strconv.Atoi(text)
	if err != nil || n > Format {
		return 0, fmt.Errorf("dataset format file %s gives format %s, but this flowq reads and writes formats up to %d: %w; use that flowq or a later one", name, text, Format, ErrNewerFormat)
	}
	return n, nil
}
