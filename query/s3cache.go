package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/flowq/flowq/internal/dataset"
)

// S3API is the part of an S3 client that SyncS3 uses; *s3.Client has it.
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// SyncOptions selects what SyncS3 fetches.
type SyncOptions struct {
	Bucket string
	// Prefix is the dataset's root under the bucket, such as "flowq-data";
	// "" is the bucket's root.
	Prefix string
	// CacheDir is the local folder that mirrors the dataset. The engine
	// then opens it as its Data folder.
	CacheDir string
	// Filter selects the partitions to fetch, as Options selects those to read.
	Filter Filter
	// Workers is the number of objects downloaded at once; default 4.
	Workers int
}

// SyncStats counts what SyncS3 did.
type SyncStats struct {
	// Partitions counts the selected partition folders found in S3.
	Partitions int
	// Objects counts the data files of the selected partitions.
	Objects int
	// Downloaded counts objects fetched because the cache lacked them or
	// held another version; Cached counts objects already up to date. Both
	// count the dataset's format file too, when the bucket has one.
	Downloaded int
	Cached     int
	// Removed counts cached files whose object no longer exists, the format
	// file included.
	Removed int
	// Bytes is the size of the objects downloaded.
	Bytes int64
}

// cacheStateFile records the ETag of each cached object, relative to the
// cache folder.
const cacheStateFile = "_flowq/s3cache.json"

// cacheEntry is the version of one cached object.
type cacheEntry struct {
	ETag string `json:"etag"`
	Size int64  `json:"size"`
}

// remoteObject is one object of the dataset in S3: a data file of a
// selected partition, or the format file.
type remoteObject struct {
	key  string // full object key
	rel  string // path relative to the dataset root, slash-separated
	etag string
	size int64
}

// SyncS3 makes CacheDir mirror the partitions of an S3 dataset that the
// filter selects, and its format file. It lists the partition folders level
// by level and skips accounts, regions and dates outside the filter by
// name, then downloads the data files and the format file whose ETag
// differs from the cached copy's. Files of the selected partitions that S3
// no longer has are removed from the cache, and so is the format file when
// S3 lacks it. Partitions outside the filter are neither fetched nor
// checked, and the engine never reads them with the same filter.
func SyncS3(ctx context.Context, client S3API, opts SyncOptions) (*SyncStats, error) {
	if opts.CacheDir == "" {
		return nil, errors.New("query: no S3 cache folder given")
	}
	if err := opts.Filter.validate(); err != nil {
		return nil, err
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	root := strings.TrimSuffix(opts.Prefix, "/")
	if root != "" {
		root += "/"
	}

	objects, partitions, err := listSelected(ctx, client, opts.Bucket, root, opts.Filter)
	if err != nil {
		return nil, err
	}
	stats := &SyncStats{Partitions: len(partitions), Objects: len(objects)}

	// The engine reads the format file to learn whether every data file has
	// the derived columns, so the cache must contain it exactly when S3 does.
	format, err := findFormatFile(ctx, client, opts.Bucket, root)
	if err != nil {
		return nil, err
	}
	fetch := objects
	if format != nil {
		fetch = append(slices.Clip(objects), *format)
	}

	state, err := readCacheState(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	var todo []remoteObject
	for _, o := range fetch {
		local := filepath.Join(opts.CacheDir, filepath.FromSlash(o.rel))
		entry, known := state[o.rel]
		if info, err := os.Stat(local); err == nil && known && entry.ETag == o.etag && info.Size() == o.size {
			stats.Cached++
			continue
		}
		todo = append(todo, o)
	}

	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Workers)
	for _, o := range todo {
		g.Go(func() error {
			n, err := download(gctx, client, opts.Bucket, o, opts.CacheDir)
			if err != nil {
				return err
			}
			mu.Lock()
			state[o.rel] = cacheEntry{ETag: o.etag, Size: n}
			stats.Downloaded++
			stats.Bytes += n
			mu.Unlock()
			return nil
		})
	}
	err = g.Wait()
	// Record what did download even when another download failed.
	if werr := writeCacheState(opts.CacheDir, state); err == nil {
		err = werr
	}
	if err != nil {
		return stats, err
	}

	removed, err := removeStale(opts.CacheDir, opts.Filter, objects, state)
	stats.Removed = removed
	if err != nil {
		return stats, err
	}
	if format == nil {
		removed, err := removeCached(opts.CacheDir, dataset.FormatFile, state)
		stats.Removed += removed
		if err != nil {
			return stats, err
		}
	}
	if err := writeCacheState(opts.CacheDir, state); err != nil {
		return stats, err
	}
	if format != nil {
		// Check the copy here, so that an error names the object in the
		// bucket, which is the one to fix, not the cached copy.
		data, err := os.ReadFile(filepath.Join(opts.CacheDir, filepath.FromSlash(dataset.FormatFile)))
		if err != nil {
			return stats, fmt.Errorf("query: read the cached dataset format file: %w", err)
		}
		if _, err := dataset.ParseFormat(fmt.Sprintf("s3://%s/%s", opts.Bucket, format.key), data); err != nil {
			return stats, err
		}
	}
	return stats, nil
}

// findFormatFile returns the dataset's format file in S3, or nil when the
// dataset has none.
func findFormatFile(ctx context.Context, client S3API, bucket, root string) (*remoteObject, error) {
	key := root + dataset.FormatFile
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query: list s3://%s/%s: %w", bucket, key, err)
		}
		for _, obj := range page.Contents {
			if aws.ToString(obj.Key) == key {
				return &remoteObject{key: key, rel: dataset.FormatFile, etag: aws.ToString(obj.ETag), size: aws.ToInt64(obj.Size)}, nil
			}
		}
	}
	return nil, nil
}

// listSelected lists the data files of the selected partitions of every
// table, descending one folder level at a time so that the listing of a
// narrow range does not grow with the dataset's size.
func listSelected(ctx context.Context, client S3API, bucket, root string, f Filter) ([]remoteObject, map[string]bool, error) {
	var objects []remoteObject
	partitions := map[string]bool{}
	for _, t := range dataset.Tables {
		accounts, err := listFolders(ctx, client, bucket, root+t.Name+"/")
		if err != nil {
			return nil, nil, err
		}
		for _, a := range accounts {
			account, err := partitionValue(a, dataset.PartAccount)
			if err != nil || !f.keepAccount(account) {
				continue
			}
			regions, err := listFolders(ctx, client, bucket, root+t.Name+"/"+a+"/")
			if err != nil {
				return nil, nil, err
			}
			for _, r := range regions {
				region, err := partitionValue(r, dataset.PartRegion)
				if err != nil || !f.keepRegion(region) {
					continue
				}
				dates, err := listFolders(ctx, client, bucket, root+t.Name+"/"+a+"/"+r+"/")
				if err != nil {
					return nil, nil, err
				}
				for _, d := range dates {
					day, err := parseDatePart(d)
					if err != nil || !f.keepDate(day) {
						continue
					}
					prefix := root + path.Join(t.Name, a, r, d) + "/"
					found, err := listDataFiles(ctx, client, bucket, root, prefix, f)
					if err != nil {
						return nil, nil, err
					}
					for _, o := range found {
						partitions[path.Dir(o.rel)] = true
					}
					objects = append(objects, found...)
				}
			}
		}
	}
	return objects, partitions, nil
}

// listFolders returns the names of the folders directly under prefix.
func listFolders(ctx context.Context, client S3API, bucket, prefix string) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{
		Bucket: aws.String(bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query: list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/")
			if name != "" && !strings.HasPrefix(name, "_") && !strings.HasPrefix(name, ".") {
				out = append(out, name)
			}
		}
	}
	return out, nil
}

// listDataFiles lists the data files below a date folder whose hour
// partition the filter keeps.
func listDataFiles(ctx context.Context, client S3API, bucket, root, prefix string, f Filter) ([]remoteObject, error) {
	var out []remoteObject
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query: list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, obj := range page.Contents {
			key := aws.ToString(obj.Key)
			rel := strings.TrimPrefix(key, root)
			if !strings.HasSuffix(rel, dataset.DataFileExt) {
				continue
			}
			parts := strings.Split(rel, "/")
			if len(parts) != 6 {
				continue
			}
			pk, err := ParsePartitionDir(strings.Join(parts[1:5], "/"))
			if err != nil || !f.KeepPartition(pk) {
				continue
			}
			out = append(out, remoteObject{key: key, rel: rel, etag: aws.ToString(obj.ETag), size: aws.ToInt64(obj.Size)})
		}
	}
	return out, nil
}

// download fetches one object into the cache through a temporary file,
// requiring the listed ETag so that an object replaced meanwhile fails
// rather than mixing versions.
func download(ctx context.Context, client S3API, bucket string, o remoteObject, cacheDir string) (int64, error) {
	local := filepath.Join(cacheDir, filepath.FromSlash(o.rel))
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		return 0, fmt.Errorf("query: create cache folder for %q: %w", o.rel, err)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key)}
	if o.etag != "" {
		in.IfMatch = aws.String(o.etag)
	}
	out, err := client.GetObject(ctx, in)
	if err != nil {
		return 0, fmt.Errorf("query: download s3://%s/%s: %w", bucket, o.key, err)
	}
	defer out.Body.Close()

	tmp, err := os.CreateTemp(filepath.Dir(local), ".download-*")
	if err != nil {
		return 0, fmt.Errorf("query: create cache file for %q: %w", o.rel, err)
	}
	n, err := io.Copy(tmp, out.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), local)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return 0, fmt.Errorf("query: download s3://%s/%s: %w", bucket, o.key, err)
	}
	return n, nil
}

// removeStale deletes cached data files of selected partitions that are
// not among the listed objects, and removes their cache entries.
func removeStale(cacheDir string, f Filter, objects []remoteObject, state map[string]cacheEntry) (int, error) {
	listed := make(map[string]bool, len(objects))
	for _, o := range objects {
		listed[o.rel] = true
	}
	removed := 0
	for _, t := range dataset.Tables {
		tp := &TablePlan{}
		if err := planTable(cacheDir, t.Name, f, tp); err != nil {
			return removed, err
		}
		for _, part := range tp.Partitions {
			dir := filepath.Join(cacheDir, t.Name, filepath.FromSlash(part))
			entries, err := os.ReadDir(dir)
			if err != nil {
				return removed, fmt.Errorf("query: list cache folder %q: %w", dir, err)
			}
			for _, e := range entries {
				rel := path.Join(t.Name, part, e.Name())
				if e.IsDir() || listed[rel] {
					continue
				}
				n, err := removeCached(cacheDir, rel, state)
				removed += n
				if err != nil {
					return removed, err
				}
			}
		}
	}
	return removed, nil
}

// removeCached deletes the cached copy of rel and its cache entry, and
// returns 1 when a file was deleted.
func removeCached(cacheDir, rel string, state map[string]cacheEntry) (int, error) {
	delete(state, rel)
	err := os.Remove(filepath.Join(cacheDir, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("query: remove stale cache file %q: %w", rel, err)
	}
	return 1, nil
}

func readCacheState(cacheDir string) (map[string]cacheEntry, error) {
	state := map[string]cacheEntry{}
	b, err := os.ReadFile(filepath.Join(cacheDir, filepath.FromSlash(cacheStateFile)))
	if errors.Is(err, fs.ErrNotExist) {
		return state, nil
	}
	if err != nil {
		return nil, fmt.Errorf("query: read the S3 cache state: %w", err)
	}
	if err := json.Unmarshal(b, &state); err != nil {
		// A damaged state only costs downloads: start over.
		return map[string]cacheEntry{}, nil
	}
	return state, nil
}

func writeCacheState(cacheDir string, state map[string]cacheEntry) error {
	p := filepath.Join(cacheDir, filepath.FromSlash(cacheStateFile))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("query: write the S3 cache state: %w", err)
	}
	b, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("query: write the S3 cache state: %w", err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("query: write the S3 cache state: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("query: write the S3 cache state: %w", err)
	}
	return nil
}
