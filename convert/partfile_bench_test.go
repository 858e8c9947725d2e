package convert

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	pqzstd "github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/flowq/flowq/internal/dataset"
)

// Benchmarks of the Parquet writers that flowq could use, and of the one it
// uses. Each writes the same sorted batch of the flows table to a zstd
// Parquet file. Run them with:
//
//	go test ./convert/ -run XXX -bench 'PartFile|Writer' -benchmem
//
// docs/benchmarks.md records the figures, including those of Arrow's
// writers, which need modules that go.mod does not list.

const benchRows = 200_000

// benchFlowsBatch builds rows of the flows table that resemble a custom-format
// VPC flow log with the fields of versions 2 to 5. The rows have three
// accounts, 300 ENIs, 600 addresses, ephemeral client ports, mostly ACCEPT
// and OK, and about 1% NODATA rows. Start times rise with up to a minute of
// jitter, so the sort order is close to, but not, the identity. The rows
// come from objects of 10,000 rows each, and the same rows come every call.
func benchFlowsBatch(rows int) *batch {
	rng := rand.New(rand.NewPCG(1, 2))
	b := newBatch(newFileSchema(dataset.Flows, nil))
	col := func(name string) *column {
		i := dataset.Flows.ColumnIndex(name)
		if i < 0 {
			panic("flows table has no column " + name)
		}
		return &b.cols[i]
	}
	str := func(c *column, s string) { c.appendString([]byte(s)) }

	accounts := []string{"123456789012", "210987654321", "555566667777"}
	type eni struct {
		id, account, vpc, subnet, instance, az string
	}
	enis := make([]eni, 300)
	for i := range enis {
		e := eni{
			id:      fmt.Sprintf("eni-%017x", rng.Uint64()>>4),
			account: accounts[i%len(accounts)],
			vpc:     fmt.Sprintf("vpc-%017x", uint64(i%6+1)*0x1111111111),
			subnet:  fmt.Sprintf("subnet-%017x", uint64(i%24+1)*0x2222222222),
			az:      "use1-az" + strconv.Itoa(i%6+1),
		}
		if i%5 != 0 { // one ENI in five belongs to a NAT gateway or a load balancer
			e.instance = fmt.Sprintf("i-%017x", rng.Uint64()>>4)
		}
		enis[i] = e
	}
	privateAddrs := make([]string, 400)
	for i := range privateAddrs {
		privateAddrs[i] = fmt.Sprintf("10.%d.%d.%d", i%4, rng.IntN(256), rng.IntN(254)+1)
	}
	publicAddrs := make([]string, 200)
	for i := range publicAddrs {
		publicAddrs[i] = fmt.Sprintf("%d.%d.%d.%d", 3+rng.IntN(200), rng.IntN(256), rng.IntN(256), rng.IntN(254)+1)
	}
	servicePorts := []int64{443, 443, 443, 80, 22, 53, 5432, 6379, 8080, 3306}

	version, account, iface := col("version"), col("account_id"), col("interface_id")
	srcaddr, dstaddr := col("srcaddr"), col("dstaddr")
	srcport, dstport, protocol := col("srcport"), col("dstport"), col("protocol")
	packets, bytes, start, end := col("packets"), col("bytes"), col("start"), col("end")
	action, status := col("action"), col("log_status")
	vpc, subnet, instance := col("vpc_id"), col("subnet_id"), col("instance_id")
	tcpFlags, typ := col("tcp_flags"), col("type")
	pktSrc, pktDst := col("pkt_srcaddr"), col("pkt_dstaddr")
	region, az := col("region"), col("az_id")
	srcService, dstService := col("pkt_src_aws_service"), col("pkt_dst_aws_service")
	direction, trafficPath := col("flow_direction"), col("traffic_path")
	filled := map[*column]bool{}
	for _, c := range []*column{version, account, iface, srcaddr, dstaddr, srcport, dstport, protocol,
		packets, bytes, start, end, action, status, vpc, subnet, instance, tcpFlags, typ, pktSrc, pktDst,
		region, az, srcService, dstService, direction, trafficPath} {
		filled[c] = true
	}

	const objectRows = 10_000
	const base = int64(1_714_521_600) // 2024-05-01T00:00:00Z
	var prov *provenance
	for r := 0; r < rows; r++ {
		if r%objectRows == 0 {
			n := r / objectRows
			stamp := fmt.Sprintf("20240501T%02d%02dZ", n/12, n%12*5)
			prov = &provenance{
				key:       "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60718_" + stamp + "_" + strconv.FormatUint(rng.Uint64()>>32, 16) + ".log.gz",
				flowLogID: "fl-0a1b2c3d4e5f60718",
				fileTime:  base + int64(n)*300,
			}
		}
		e := enis[rng.IntN(len(enis))]
		t0 := base + int64(r)*86_400/int64(rows) - rng.Int64N(60)

		version.appendInt(5)
		str(account, e.account)
		str(iface, e.id)

		if rng.IntN(100) == 0 { // NODATA: no traffic in the window, so no addresses, ports or counters
			for _, c := range []*column{srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, action,
				tcpFlags, typ, pktSrc, pktDst, srcService, dstService, direction, trafficPath} {
				c.appendNull()
			}
			start.appendInt(t0)
			end.appendInt(t0 + 60)
			str(status, "NODATA")
		} else {
			local := privateAddrs[rng.IntN(len(privateAddrs))]
			remote := privateAddrs[rng.IntN(len(privateAddrs))]
			if rng.IntN(4) == 0 {
				remote = publicAddrs[rng.IntN(len(publicAddrs))]
			}
			ephemeral := 32768 + rng.Int64N(28232)
			service := servicePorts[rng.IntN(len(servicePorts))]
			ingress := rng.IntN(2) == 0
			src, dst, sport, dport := remote, local, ephemeral, service
			if !ingress {
				src, dst, sport, dport = local, remote, service, ephemeral
			}
			str(srcaddr, src)
			str(dstaddr, dst)
			srcport.appendInt(sport)
			dstport.appendInt(dport)
			proto := int64(6)
			switch p := rng.IntN(20); {
			case p == 0:
				proto = 1
			case p < 4:
				proto = 17
			}
			protocol.appendInt(proto)
			n := 1 + rng.Int64N(50)
			if rng.IntN(10) == 0 {
				n = 1 + rng.Int64N(100_000)
			}
			packets.appendInt(n)
			bytes.appendInt(n * (40 + rng.Int64N(1461)))
			start.appendInt(t0)
			end.appendInt(t0 + rng.Int64N(61))
			if rng.IntN(10) == 0 {
				str(action, "REJECT")
			} else {
				str(action, "ACCEPT")
			}
			str(status, "OK")
			if proto == 6 {
				tcpFlags.appendInt([]int64{2, 18, 19, 3, 1, 0}[rng.IntN(6)])
			} else {
				tcpFlags.appendInt(0)
			}
			str(typ, "IPv4")
			str(pktSrc, src)
			str(pktDst, dst)
			if strings.HasPrefix(remote, "10.") || rng.IntN(3) != 0 {
				srcService.appendNull()
				dstService.appendNull()
			} else if ingress {
				str(srcService, "AMAZON")
				dstService.appendNull()
			} else {
				srcService.appendNull()
				str(dstService, "S3")
			}
			if ingress {
				str(direction, "ingress")
				trafficPath.appendNull()
			} else {
				str(direction, "egress")
				trafficPath.appendInt(int64(1 + rng.IntN(8)))
			}
		}
		str(vpc, e.vpc)
		str(subnet, e.subnet)
		if e.instance == "" {
			instance.appendNull()
		} else {
			str(instance, e.instance)
		}
		str(region, "us-east-1")
		str(az, e.az)
		for i := range b.cols {
			if c := &b.cols[i]; !filled[c] && b.stores(i) {
				c.appendNull()
			}
		}
		b.addRow(prov)
	}
	return b
}

// toIPv6 replaces the IPv4 addresses of b with IPv6 ones, one for each:
// private addresses move into fd00::/8 and public ones into 2600:1f18::/32,
// so that b keeps its number of distinct addresses and their classes.
func toIPv6(b *batch) *batch {
	for _, name := range []string{"srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr"} {
		c := &b.cols[b.schema.table.ColumnIndex(name)]
		old := *c
		c.valid, c.data, c.ends = nil, nil, nil
		for r := range old.valid {
			if !old.valid[r] {
				c.appendNull()
				continue
			}
			v4 := netip.MustParseAddr(string(old.str(r))).As4()
			v6 := [16]byte{0xfd}
			if v4[0] != 10 {
				v6 = [16]byte{0x26, 0x00, 0x1f, 0x18}
			}
			copy(v6[12:], v4[:])
			c.appendString([]byte(netip.AddrFrom16(v6).String()))
		}
	}
	return b
}

// benchOptions are the tuning knobs of the alternatives, where the library
// has them.
type benchOptions struct {
	zstdLevel int
	// dictionary selects dictionary encoding: "strings" for string columns
	// only, "all" for every column, "none" for no column.
	dictionary string
	// pageSize is the uncompressed size at which a data page is cut, in bytes.
	pageSize    int
	pageVersion int // 1 or 2
	// stats selects page statistics and the column index. parquet-go always
	// writes column chunk statistics and the offset index.
	stats bool
	// deltaInts selects DELTA_BINARY_PACKED for integer columns instead of PLAIN.
	deltaInts bool
}

var defaultBenchOptions = benchOptions{zstdLevel: 3, dictionary: "strings", pageSize: 256 << 10, pageVersion: 1, stats: true}

// writeFunc writes the rows of b in order to a new Parquet file at path.
type writeFunc func(path string, b *batch, order []int32, opt benchOptions) error

// writerAlternative is one way of writing a batch to a Parquet file.
type writerAlternative struct {
	name  string
	write writeFunc
	// tunable reports whether write supports every field of benchOptions.
	tunable bool
}

var writerAlternatives = []writerAlternative{
	{name: "parquet-go", write: writeParquetGo, tunable: true},
	{name: "duckdb", write: writeDuckDB},
}

// provenanceBytes returns, for each row of b, the index of its provenance
// run, and the source_key and flow_log_id bytes of each run.
func provenanceBytes(b *batch) (rowRun []int32, keys, ids [][]byte) {
	rowRun = make([]int32, 0, b.rows)
	for i, run := range b.runs {
		keys = append(keys, []byte(run.prov.key))
		ids = append(ids, []byte(run.prov.flowLogID))
		for range run.rows {
			rowRun = append(rowRun, int32(i))
		}
	}
	return rowRun, keys, ids
}

// benchIsPrivate returns dataset.IsPrivate of the address that the derived
// column i classifies in row r, with ok false where the address is NULL.
func benchIsPrivate(b *batch, i int, r int32) (private, ok bool) {
	c := &b.cols[b.schema.table.ColumnIndex(b.schema.table.Columns[i].From)]
	if !c.valid[r] {
		return false, false
	}
	return dataset.IsPrivate(c.str(int(r)))
}

// ---- parquet-go with its column writers ----

func parquetGoRoot(s fileSchema, opt benchOptions) columnGroup {
	g := make(columnGroup, s.numColumns())
	for i := range g {
		var node parquet.Node
		switch s.kind(i) {
		case dataset.Int32:
			node = parquet.Int(32)
		case dataset.Int64:
			node = parquet.Int(64)
		case dataset.Bool:
			node = parquet.Leaf(parquet.BooleanType)
		default:
			node = parquet.String()
		}
		switch {
		case s.kind(i) == dataset.Bool:
			node = parquet.Encoded(node, &parquet.Plain)
		case opt.deltaInts && s.kind(i) != dataset.String:
			node = parquet.Encoded(node, &parquet.DeltaBinaryPacked)
		case opt.dictionary == "all", opt.dictionary == "strings" && s.kind(i) == dataset.String:
			node = parquet.Encoded(node, &parquet.RLEDictionary)
		default:
			node = parquet.Encoded(node, &parquet.Plain)
		}
		g[i] = columnField{Node: parquet.Optional(node), name: s.name(i), index: i}
	}
	return g
}

func writeParquetGo(path string, b *batch, order []int32, opt benchOptions) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	options := []parquet.WriterOption{
		parquet.NewSchema("schema", parquetGoRoot(b.schema, opt)),
		parquet.Compression(&pqzstd.Codec{Level: zstd.EncoderLevelFromZstd(opt.zstdLevel)}),
		parquet.KeyValueMetadata("flowq.schema_version", "2"),
		parquet.DataPageVersion(opt.pageVersion),
		parquet.DataPageStatistics(opt.stats),
		parquet.PageBufferSize(opt.pageSize),
	}
	if !opt.stats {
		for i := 0; i < b.schema.numColumns(); i++ {
			options = append(options, parquet.SkipPageBounds(b.schema.name(i)))
		}
	}
	w := parquet.NewGenericWriter[any](f, options...)

	rowRun, keys, ids := provenanceBytes(b)
	values := make([]parquet.Value, 0, 4096)
	for i, cw := range w.ColumnWriters() {
		c := &b.cols[i]
		null := parquet.NullValue().Level(0, 0, i)
		// WriteRowValues cuts a page only after a call that fills the page
		// buffer, so calls of a few thousand values keep pages near its size.
		for lo := 0; lo < len(order); lo += cap(values) {
			values = values[:0]
			chunk := order[lo:min(lo+cap(values), len(order))]
			switch {
			case b.isProvenance(i) && b.schema.name(i) == dataset.ColSourceKey:
				for _, r := range chunk {
					values = append(values, parquet.ByteArrayValue(keys[rowRun[r]]).Level(0, 1, i))
				}
			case b.isProvenance(i) && b.schema.name(i) == dataset.ColFlowLogID:
				for _, r := range chunk {
					values = append(values, parquet.ByteArrayValue(ids[rowRun[r]]).Level(0, 1, i))
				}
			case b.isProvenance(i):
				for _, r := range chunk {
					if t := b.runs[rowRun[r]].prov.fileTime; t >= 0 {
						values = append(values, parquet.Int64Value(t).Level(0, 1, i))
					} else {
						values = append(values, null)
					}
				}
			case b.isDerived(i):
				for _, r := range chunk {
					if private, ok := benchIsPrivate(b, i, r); ok {
						values = append(values, parquet.BooleanValue(private).Level(0, 1, i))
					} else {
						values = append(values, null)
					}
				}
			case c.kind == dataset.Int32:
				for _, r := range chunk {
					if c.valid[r] {
						values = append(values, parquet.Int32Value(int32(c.ints[r])).Level(0, 1, i))
					} else {
						values = append(values, null)
					}
				}
			case c.kind == dataset.Int64:
				for _, r := range chunk {
					if c.valid[r] {
						values = append(values, parquet.Int64Value(c.ints[r]).Level(0, 1, i))
					} else {
						values = append(values, null)
					}
				}
			default:
				for _, r := range chunk {
					if c.valid[r] {
						values = append(values, parquet.ByteArrayValue(c.str(int(r))).Level(0, 1, i))
					} else {
						values = append(values, null)
					}
				}
			}
			if _, err := cw.WriteRowValues(values); err != nil {
				return err
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return w.Close()
}

// ---- DuckDB: appender into a temporary table, then COPY TO ----

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// writeDuckDB appends the rows to a temporary table of a new in-memory
// database and copies the table to path. It supports only zstdLevel and
// pageVersion.
func writeDuckDB(path string, b *batch, order []int32, opt benchOptions) error {
	ctx := context.Background()
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	cols := make([]string, b.schema.numColumns())
	for i := range cols {
		cols[i] = quoteIdent(b.schema.name(i)) + " " + b.schema.kind(i).SQLType()
	}
	if _, err := conn.ExecContext(ctx, "CREATE TEMP TABLE rows ("+strings.Join(cols, ", ")+")"); err != nil {
		return err
	}
	rowProv := b.rowProvenance()
	err = conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "temp", "main", "rows")
		if err != nil {
			return err
		}
		row := make([]driver.Value, len(b.cols))
		for _, r := range order {
			for i := range b.cols {
				c := &b.cols[i]
				switch {
				case b.isProvenance(i) && b.schema.name(i) == dataset.ColSourceKey:
					row[i] = rowProv[r].key
				case b.isProvenance(i) && b.schema.name(i) == dataset.ColFlowLogID:
					row[i] = rowProv[r].flowLogID
				case b.isProvenance(i):
					row[i] = nil
					if rowProv[r].fileTime >= 0 {
						row[i] = rowProv[r].fileTime
					}
				case b.isDerived(i):
					row[i] = nil
					if private, ok := benchIsPrivate(b, i, r); ok {
						row[i] = private
					}
				case !c.valid[r]:
					row[i] = nil
				case c.kind == dataset.Int32:
					row[i] = int32(c.ints[r])
				case c.kind == dataset.Int64:
					row[i] = c.ints[r]
				default:
					row[i] = c.str(int(r))
				}
			}
			if err := app.AppendRow(row...); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
	if err != nil {
		return err
	}
	copyOptions := fmt.Sprintf("FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL %d, KV_METADATA {'flowq.schema_version': '2'}", opt.zstdLevel)
	if opt.pageVersion == 2 {
		copyOptions += ", PARQUET_VERSION v2"
	}
	_, err = conn.ExecContext(ctx, "COPY rows TO '"+strings.ReplaceAll(path, "'", "''")+"' ("+copyOptions+")")
	return err
}

// ---- flowq's partFile ----

// writePartFile writes through createPartFile, fsync included. It ignores
// opt, since the part file has fixed settings.
func writePartFile(path string, b *batch, order []int32, _ benchOptions) error {
	f, err := createPartFile(path, b.schema, writerOptions{})
	if err != nil {
		return err
	}
	if err := f.write(b, order); err != nil {
		f.abort()
		return err
	}
	if err := f.close(); err != nil {
		f.abort()
		return err
	}
	return nil
}

func TestWriterAlternativesReadBack(t *testing.T) {
	data := benchFlowsBatch(20_000)
	order := data.sortOrder()
	conn := openDuckConn(t)
	for _, alt := range writerAlternatives {
		t.Run(alt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.parquet")
			if err := alt.write(path, data, order, defaultBenchOptions); err != nil {
				t.Fatalf("write %q: %v", path, err)
			}
			checkFileMatchesBatches(t, conn, path, writtenBatch{data, order})
		})
	}
}

// runWriterBenchmark reports, besides time and allocations, the batch bytes
// written per second (batch.memSize, as MB/s), rows/s, and the file size per
// row.
func runWriterBenchmark(b *testing.B, rows int, write writeFunc, opt benchOptions) {
	runWriterBenchmarkOn(b, benchFlowsBatch(rows), write, opt)
}

func runWriterBenchmarkOn(b *testing.B, data *batch, write writeFunc, opt benchOptions) {
	rows := data.rows
	order := data.sortOrder()
	path := filepath.Join(b.TempDir(), "out.parquet")
	b.SetBytes(int64(data.memSize()))
	b.ReportAllocs()
	for b.Loop() {
		if err := write(path, data, order, opt); err != nil {
			b.Fatalf("write %q: %v", path, err)
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(info.Size())/float64(rows), "B/row")
}

func BenchmarkWriterAlternatives(b *testing.B) {
	for _, alt := range writerAlternatives {
		b.Run(alt.name, func(b *testing.B) { runWriterBenchmark(b, benchRows, alt.write, defaultBenchOptions) })
	}
}

// BenchmarkWriterTuning changes one knob at a time from defaultBenchOptions.
func BenchmarkWriterTuning(b *testing.B) {
	variants := []struct {
		name string
		edit func(*benchOptions)
	}{
		{"default", func(*benchOptions) {}},
		{"zstd1", func(o *benchOptions) { o.zstdLevel = 1 }},
		{"zstd9", func(o *benchOptions) { o.zstdLevel = 9 }},
		{"zstd19", func(o *benchOptions) { o.zstdLevel = 19 }},
		{"dict-none", func(o *benchOptions) { o.dictionary = "none" }},
		{"dict-all", func(o *benchOptions) { o.dictionary = "all" }},
		{"delta-ints", func(o *benchOptions) { o.deltaInts = true }},
		{"page64k", func(o *benchOptions) { o.pageSize = 64 << 10 }},
		{"page1m", func(o *benchOptions) { o.pageSize = 1 << 20 }},
		{"pagev2", func(o *benchOptions) { o.pageVersion = 2 }},
		{"no-stats", func(o *benchOptions) { o.stats = false }},
	}
	for _, alt := range writerAlternatives {
		if !alt.tunable {
			continue
		}
		for _, v := range variants {
			opt := defaultBenchOptions
			v.edit(&opt)
			b.Run(alt.name+"/"+v.name, func(b *testing.B) { runWriterBenchmark(b, benchRows, alt.write, opt) })
		}
	}
}

func BenchmarkPartFileWrite(b *testing.B) {
	runWriterBenchmark(b, benchRows, writePartFile, defaultBenchOptions)
}

// BenchmarkPartFileIPv6 writes the rows of BenchmarkPartFileWrite with IPv6
// addresses, which cost more to classify for the derived columns.
func BenchmarkPartFileIPv6(b *testing.B) {
	runWriterBenchmarkOn(b, toIPv6(benchFlowsBatch(benchRows)), writePartFile, defaultBenchOptions)
}

// BenchmarkPartFileSmall shows the cost of a file of its own for a small
// partition.
func BenchmarkPartFileSmall(b *testing.B) {
	runWriterBenchmark(b, 1_000, writePartFile, defaultBenchOptions)
}
