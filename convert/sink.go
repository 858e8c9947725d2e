package convert

import (
	"github.com/flowq/flowq/internal/dataset"
)

// partKey identifies the rows of one file schema in one partition.
type partKey struct {
	schema  string
	account string
	region  string
	// hour is the partition's UTC hour in Unix seconds.
	hour int64
}

func (k partKey) partition() dataset.Partition {
	return dataset.Partition{Account: k.account, Region: k.region, Hour: unixTime(k.hour)}
}

// checkMemoryEvery is how many rows an objectSink takes between two
// estimates of its memory; estimating walks every column.
const checkMemoryEvery = 4096

// objectSink collects the rows of one object by partition. When its batches
// grow past spillAt bytes it hands them to spill, which writes them to files
// of the object's own, so that one huge object never holds all its rows in
// memory. Nothing of the object reaches the dataset unless it converts whole.
type objectSink struct {
	parts   map[partKey]*batch
	lastKey partKey
	last    *batch
	rows    int
	spillAt int
	spill   func(partKey, *batch) error
	// err is the first spill error; the object fails with it.
	err error
}

func newObjectSink(spillAt int, spill func(partKey, *batch) error) *objectSink {
	return &objectSink{parts: map[partKey]*batch{}, spillAt: spillAt, spill: spill}
}

// batchFor returns the batch that takes a row of schema s placed at Unix
// time t in the given account and region.
func (o *objectSink) batchFor(s fileSchema, account, region string, t int64) *batch {
	o.rows++
	if o.rows%checkMemoryEvery == 0 && o.spill != nil {
		o.spillIfLarge()
	}
	key := partKey{schema: s.id, account: account, region: region, hour: hourOf(t)}
	// Fast path: consecutive rows nearly always share a partition.
	if o.last != nil && key == o.lastKey {
		return o.last
	}
	b, ok := o.parts[key]
	if !ok {
		b = newBatch(s)
		o.parts[key] = b
	}
	o.lastKey, o.last = key, b
	return b
}

func (o *objectSink) memSize() int {
	n := 0
	for _, b := range o.parts {
		n += b.memSize()
	}
	return n
}

func (o *objectSink) spillIfLarge() {
	if o.err != nil || o.memSize() < o.spillAt {
		return
	}
	o.spillAll()
}

// spillAll hands every non-empty batch to spill and empties it.
func (o *objectSink) spillAll() {
	for k, b := range o.parts {
		if b.rows == 0 || o.err != nil {
			continue
		}
		b.complete()
		if err := o.spill(k, b); err != nil {
			o.err = err
			return
		}
		b.reset()
	}
}
