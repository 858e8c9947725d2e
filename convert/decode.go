package convert

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// encoding is the storage format of an object's bytes, detected from their first bytes.
type encoding uint8

const (
	encPlain encoding = iota
	encGzip
	encZstd
	encParquet
)

func (e encoding) String() string {
	switch e {
	case encGzip:
		return "gzip"
	case encZstd:
		return "zstd"
	case encParquet:
		return "Parquet"
	default:
		return "plain text"
	}
}

var (
	gzipMagic    = []byte{0x1f, 0x8b}
	zstdMagic    = []byte{0x28, 0xb5, 0x2f, 0xfd}
	parquetMagic = []byte("PAR1")
)

// sniff peeks at the first bytes of r and returns the encoding with a
// reader that still yields every byte.
func sniff(r io.Reader) (encoding, *bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return encPlain, br, err
	}
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return encGzip, br, nil
	case bytes.HasPrefix(head, zstdMagic):
		return encZstd, br, nil
	case bytes.HasPrefix(head, parquetMagic):
		return encParquet, br, nil
	}
	return encPlain, br, nil
}

// textReader returns the decompressed text of a gzip, zstd or plain object.
// Gzip streams of several members, as concatenated files have, read as one.
func textReader(enc encoding, r io.Reader) (io.ReadCloser, error) {
	switch enc {
	case encGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("invalid gzip data: %w", err)
		}
		return zr, nil
	case encZstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, fmt.Errorf("invalid zstd data: %w", err)
		}
		return zr.IOReadCloser(), nil
	default:
		return io.NopCloser(r), nil
	}
}
