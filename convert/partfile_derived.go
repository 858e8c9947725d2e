package convert

import (
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/flowq/flowq/internal/dataset"
)

// Batches do not store the derived columns. The Parquet writer computes
// them from their address columns as it writes each file, so rows parsed
// from flow logs and rows read back from older files get the same values.

// derivedSources returns, for each column of s, the index of the address
// column that it classifies when it is a derived column, and -1 otherwise.
func derivedSources(s fileSchema) ([]int, error) {
	from := make([]int, s.numColumns())
	for i := range from {
		from[i] = -1
		if i >= len(s.table.Columns) || !s.table.Columns[i].IsDerived() {
			continue
		}
		c := s.table.Columns[i]
		from[i] = s.table.ColumnIndex(c.From)
		if from[i] < 0 || s.kind(from[i]) != dataset.String {
			return nil, fmt.Errorf("derived column %q classifies %q, which is not a string column of table %q", c.Name, c.From, s.table.Name)
		}
	}
	return from, nil
}

// addrClass is the value of a derived column for one address.
type addrClass uint8

const (
	notAnAddress addrClass = iota // NULL
	publicAddress
	privateAddress
)

func classify(addr []byte) addrClass {
	switch private, ok := dataset.IsPrivate(addr); {
	case !ok:
		return notAnAddress
	case private:
		return privateAddress
	}
	return publicAddress
}

// maxCachedAddresses bounds the cache of address classes of one file.
// dataset.IsPrivate parses IPv6 text with net/netip, which allocates once
// per call, so a map hit costs less for the addresses that repeat in a
// file. IPv4 text parses without allocating, about as fast as a map
// lookup, and skips the cache. BenchmarkPartFileIPv6 measures the gain.
const maxCachedAddresses = 4096

// looksLikeIPv4 reports whether text has the length of an IPv4 address and
// a dot after its first number. It only selects the faster path, because
// both paths give the same class.
func looksLikeIPv4(text []byte) bool {
	return len(text) >= len("0.0.0.0") && len(text) <= len("255.255.255.255") &&
		(text[1] == '.' || text[2] == '.' || text[3] == '.')
}

// classifyCached returns the class of an address through f.addrClasses.
func (f *parquetFile) classifyCached(addr []byte) addrClass {
	if c, ok := f.addrClasses[string(addr)]; ok {
		return c
	}
	c := classify(addr)
	if f.addrClasses == nil {
		f.addrClasses = make(map[string]addrClass)
	}
	if len(f.addrClasses) < maxCachedAddresses {
		f.addrClasses[string(addr)] = c
	}
	return c
}

// fillDerived sets values[j], for each row chunk[j], to dataset.IsPrivate of
// the row's address in src as a value of the derived column i. The value
// is NULL where the address is NULL or not an IP address.
func (f *parquetFile) fillDerived(values []parquet.Value, src *column, chunk []int32, i int) {
	byClass := [...]parquet.Value{
		notAnAddress:   parquet.NullValue().Level(0, 0, i),
		publicAddress:  parquet.BooleanValue(false).Level(0, 1, i),
		privateAddress: parquet.BooleanValue(true).Level(0, 1, i),
	}
	valid, data, ends := src.valid, src.data, src.ends
	for j, r := range chunk {
		if !valid[r] {
			values[j] = byClass[notAnAddress]
			continue
		}
		var start uint32
		if r > 0 {
			start = ends[r-1]
		}
		addr := data[start:ends[r]]
		// Fast path: IPv4 text, which needs no cache.
		if looksLikeIPv4(addr) {
			values[j] = byClass[classify(addr)]
			continue
		}
		// Slow path: IPv6 addresses and text that is no address.
		values[j] = byClass[f.classifyCached(addr)]
	}
}
