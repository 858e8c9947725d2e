package convert

import (
	"context"
	"io"
	"strconv"
	"time"
)

// Object is one file of flow-log records, as a source lists it.
type Object struct {
	// Key is the object key below the source's bucket, or the path of a local
	// file relative to the folder the source walks. It uses '/' separators.
	Key string
	// Size is the object's length in bytes.
	Size int64
	// ETag identifies the object's content in S3; empty for local files.
	ETag string
	// Modified is the object's last modification time.
	Modified time.Time
}

// Version returns what makes this version of the object distinct: the ETag
// where the source has one, otherwise the size and modification time.
func (o Object) Version() string {
	if o.ETag != "" {
		return o.ETag
	}
	return o.Modified.UTC().Format(time.RFC3339Nano) + "/" + strconv.FormatInt(o.Size, 10)
}

// Source is a place that holds flow-log objects: an S3 prefix or a local
// folder.
//
// Contract:
//   - List calls fn once for every object below the source's root, in
//     lexical key order, and stops early with fn's error when fn returns one.
//     Folder markers (keys ending in '/') are never passed. List may be
//     called again and lists the objects as they are then.
//   - Open returns the object's bytes from the first. Open is safe to call
//     from many goroutines at once and to retry: a failed or abandoned read
//     has no side effects. The reader may retry dropped connections itself;
//     when it cannot, Read returns the error.
//   - Errors wrap the key they concern.
type Source interface {
	// Name returns the source as the user gave it, such as s3://bucket/prefix.
	Name() string
	List(ctx context.Context, fn func(Object) error) error
	Open(ctx context.Context, obj Object) (io.ReadCloser, error)
}
