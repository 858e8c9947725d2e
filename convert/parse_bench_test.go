package convert

import (
	"bytes"
	"strconv"
	"testing"
	"time"
)

// benchText returns n records in the default format, shaped like real ones.
func benchText(n int) []byte {
	var b bytes.Buffer
	b.WriteString(defaultHeader + "\n")
	var line []byte
	for i := 0; i < n; i++ {
		line = line[:0]
		line = append(line, "2 123456789012 eni-0a1b2c3d4e5f6"...)
		line = strconv.AppendInt(line, int64(1000+i%200), 10)
		line = append(line, " 10.0."...)
		line = strconv.AppendInt(line, int64(i%250), 10)
		line = append(line, ".12 198.51.100."...)
		line = strconv.AppendInt(line, int64(i%200), 10)
		line = append(line, ' ')
		line = strconv.AppendInt(line, int64(32768+i%28000), 10)
		line = append(line, " 443 6 "...)
		line = strconv.AppendInt(line, int64(1+i%90), 10)
		line = append(line, ' ')
		line = strconv.AppendInt(line, int64(60+i*37%90000), 10)
		line = append(line, ' ')
		line = strconv.AppendInt(line, 1700000000+int64(i/100), 10)
		line = append(line, ' ')
		line = strconv.AppendInt(line, 1700000060+int64(i/100), 10)
		line = append(line, " ACCEPT OK\n"...)
		b.Write(line)
	}
	return b.Bytes()
}

// BenchmarkParseText measures the line parser alone, from decompressed
// text to column buffers, in MB/s of text.
func BenchmarkParseText(b *testing.B) {
	text := benchText(200_000)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		sink := newObjectSink(1<<40, nil)
		p := newLineParser(Object{Key: "bench.log", Modified: time.Unix(1700000000, 0)}, KeyInfo{Hour: -1}, sink, func(Reject) error { return nil })
		if err := p.parseText(bytes.NewReader(text)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(200_000*b.N)/b.Elapsed().Seconds(), "rows/s")
}
