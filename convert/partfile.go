package convert

// writerOptions tunes the Parquet files that convert writes.
type writerOptions struct {
	// ZstdLevel is the zstd compression level; 0 means level 1.
	ZstdLevel int
}

// partFile writes the rows of one partition and one file schema to one
// Parquet file, under a temporary name until close succeeds.
//
// Contract: write appends the batch's rows in the given order as one or more
// row groups; the caller sorts them. close writes the footer, syncs the file
// to disk and leaves it at its temporary path; the caller renames it. abort
// closes and removes the file. A partFile is used by one goroutine at a time.
type partFile interface {
	write(b *batch, order []int32) error
	close() error
	abort()
	// rowCount returns the rows written so far.
	rowCount() int64
	// path returns the temporary path of the file.
	path() string
}
