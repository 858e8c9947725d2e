package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFormat(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		want          int
		err           string // part of the error, or "" for none
		newer         bool   // whether the error wraps ErrNewerFormat
	}{
		{"missing file", "", 1, "", false},
		{"current", "2\n", 2, "", false},
		{"format 1", "1\n", 1, "", false},
		{"without newline", "2", 2, "", false},
		{"white space", " 2 \r\n", 2, "", false},
		{"newer", "3\n", 0, "gives format 3", true},
		{"beyond int", "99999999999999999999999\n", 0, "a newer flowq wrote this dataset", true},
		{"empty", "", 0, `its content "" is not a format number`, false},
		{"word", "two\n", 0, `its content "two\n" is not a format number`, false},
		{"zero", "0\n", 0, "not a format number", false},
		{"negative", "-1\n", 0, "not a format number", false},
		{"plus sign", "+2\n", 0, "not a format number", false},
		{"decimal point", "2.0\n", 0, "not a format number", false},
		{"two numbers", "2 3\n", 0, "not a format number", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, filepath.FromSlash(FormatFile))
			if tc.name != "missing file" {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ReadFormat(root)
			if tc.err == "" {
				if err != nil || got != tc.want {
					t.Errorf("ReadFormat = %d, %v; want %d, nil", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), path) {
				t.Errorf("ReadFormat error %v, want one with %q and the path %s", err, tc.err, path)
			}
			if errors.Is(err, ErrNewerFormat) != tc.newer {
				t.Errorf("errors.Is(%v, ErrNewerFormat) = %v, want %v", err, !tc.newer, tc.newer)
			}
		})
	}
}

func TestReadFormatOfUnreadableFile(t *testing.T) {
	root := t.TempDir()
	// A folder in place of the file makes the read fail.
	if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(FormatFile)), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFormat(root); err == nil || errors.Is(err, ErrNewerFormat) {
		t.Errorf("ReadFormat over a folder: error %v, want a read error", err)
	}
}
