// Command querybench times flowq's query engine on a generated archive.
// It runs two investigations on the converted Parquet dataset and on the
// raw .log.gz files read with DuckDB's read_csv. It times a one-hour
// --since query on datasets of 1, 3 and 7 days. It compares in_cidr as a
// SQL macro with the same test as a Go scalar function.
//
//	go run ./internal/bench/querybench -records 5000000 -dir /tmp/qb
//
// It prints a Markdown report on standard output. The archives and
// datasets stay in -dir, so a second run with the same flags reuses them.
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/flowq/flowq/convert"
	"github.com/flowq/flowq/internal/bench/benchkit"
	"github.com/flowq/flowq/internal/dataset"
	"github.com/flowq/flowq/internal/sample"
	"github.com/flowq/flowq/query"
)

func main() {
	records := flag.Int("records", 5_000_000, "background records of the main archive, spread over -days")
	days := flag.Int("days", 3, "days of the main archive")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "querybench"), "folder for the archives and datasets")
	runs := flag.Int("runs", 3, "timed runs of each query; the report gives the median")
	scalingRecords := flag.Int("scaling-records-per-day", 300_000, "records per day of the 1, 3 and 7 day datasets")
	flag.Parse()
	log.SetFlags(0)

	ctx := context.Background()
	if err := run(ctx, *records, *days, *dir, *runs, *scalingRecords); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, records, days int, dir string, runs, scalingRecords int) error {
	fmt.Printf("# Query benchmark\n\nCommand: `go run ./internal/bench/querybench -records %d -days %d -runs %d`\n\n", records, days, runs)
	fmt.Printf("CPU: %s, %d cores visible to Go; %s\n\n", benchkit.CPUModel(), runtime.NumCPU(), runtime.Version())

	main := filepath.Join(dir, fmt.Sprintf("main-%d-%d", records, days))
	truth, err := prepare(ctx, main, sample.Options{Days: days, RecordsPerDay: records / days, Incidents: true})
	if err != nil {
		return err
	}
	fmt.Printf("Archive: %d records in %d objects, %.0f MB gzip; dataset: %.0f MB of Parquet.\n\n",
		truth.Records(), truth.FlowLogObjects, float64(truth.CompressedBytes)/1e6, float64(benchkit.DirSize(filepath.Join(main, "data")))/1e6)

	if err := compareRaw(ctx, main, truth, runs); err != nil {
		return err
	}
	if err := scaling(ctx, dir, scalingRecords, runs); err != nil {
		return err
	}
	return cidrMacroVersusUDF(ctx, runs)
}

// prepare generates and converts an archive once; later runs reuse it.
func prepare(ctx context.Context, root string, opt sample.Options) (*sample.Truth, error) {
	archive, data := filepath.Join(root, "archive"), filepath.Join(root, "data")
	if _, err := os.Stat(filepath.Join(root, "done")); err == nil {
		// Generating again without writing gives the same Truth, faster.
		return sample.Generate(ctx, discard{}, opt)
	}
	os.RemoveAll(root)
	log.Printf("generating %s", archive)
	start := time.Now()
	truth, err := sample.GenerateToDir(ctx, archive, opt)
	if err != nil {
		return nil, err
	}
	log.Printf("generated in %s; converting", time.Since(start).Round(time.Second))
	start = time.Now()
	src, err := convert.NewLocalSource(archive)
	if err != nil {
		return nil, err
	}
	sum, err := convert.Run(ctx, src, convert.Config{Out: data})
	if err != nil {
		return nil, err
	}
	log.Printf("converted %d rows in %s", sum.Rows, time.Since(start).Round(time.Second))
	return truth, os.WriteFile(filepath.Join(root, "done"), nil, 0o644)
}

// discard is an ObjectWriter that keeps nothing.
type discard struct{}

func (discard) WriteObject(string, []byte) error { return nil }

// Investigations timed on both forms of the data. Each is written the way
// that is fastest on its form; %s is the flows view or the raw CSV
// subquery. The dataset holds each address's class in src_private and
// dst_private. The raw text has no such column, so its form sums bytes per
// pair first and classifies each distinct pair once with is_private,
// rather than every record. NODATA and SKIPDATA records have no
// addresses, so neither form needs a condition on log_status.
var investigations = []struct{ name, dataSQL, rawSQL string }{
	{"exfiltration volume by destination", `
		SELECT dstaddr, sum(bytes) AS bytes
		FROM %s
		WHERE src_private AND NOT dst_private
		GROUP BY dstaddr ORDER BY bytes DESC, dstaddr LIMIT 20`, `
		WITH pairs AS (
			SELECT srcaddr, dstaddr, sum(bytes) AS bytes
			FROM %s
			GROUP BY srcaddr, dstaddr)
		SELECT dstaddr, sum(bytes) AS bytes
		FROM pairs
		WHERE is_private(srcaddr) AND NOT is_private(dstaddr)
		GROUP BY dstaddr ORDER BY bytes DESC, dstaddr LIMIT 20`},
	{"rejected traffic by port", rejectedByPort, rejectedByPort},
}

const rejectedByPort = `
		SELECT dstport, count(*) AS records, sum(packets) AS packets
		FROM %s
		WHERE action = 'REJECT'
		GROUP BY dstport ORDER BY records DESC, dstport LIMIT 20`

// rawSQL reads the VPC flow logs of an archive with read_csv, each flow log
// with the columns of its own header line, and unions them by name.
func rawSQL(archive string, truth *sample.Truth) string {
	var parts []string
	for _, fl := range truth.FlowLogs {
		if fl.Table != dataset.FlowsTable {
			continue
		}
		var cols []string
		for _, f := range fl.Fields {
			c := dataset.Flows.Columns[dataset.Flows.Lookup(f)]
			cols = append(cols, fmt.Sprintf("'%s': '%s'", c.Name, c.Kind.SQLType()))
		}
		glob := filepath.Join(archive, "**", "*_"+fl.ID+"_*.log.gz")
		parts = append(parts, fmt.Sprintf("SELECT * FROM read_csv('%s', header = true, delim = ' ', nullstr = '-', auto_detect = false, compression = 'gzip', columns = {%s})",
			glob, strings.Join(cols, ", ")))
	}
	return "(" + strings.Join(parts, "\nUNION ALL BY NAME\n") + ")"
}

func compareRaw(ctx context.Context, root string, truth *sample.Truth, runs int) error {
	e, err := query.Open(ctx, query.Options{Data: filepath.Join(root, "data")})
	if err != nil {
		return err
	}
	defer e.Close()
	raw := rawSQL(filepath.Join(root, "archive"), truth)

	fmt.Println("## Converted dataset against the raw archive")
	fmt.Println()
	fmt.Println("Each query runs on the `flows` view of the converted dataset and on the archive's")
	fmt.Println("`.log.gz` files through `read_csv`, every flow log with its own header's columns")
	fmt.Println("(`nullstr='-'`), the four VPC flow logs joined with `UNION ALL BY NAME`. Both give the same rows.")
	fmt.Println()
	fmt.Println("| query | dataset | raw .log.gz | speed-up |")
	fmt.Println("| --- | ---: | ---: | ---: |")
	for _, q := range investigations {
		onData, dataRows, err := timeQuery(ctx, e, fmt.Sprintf(q.dataSQL, "flows"), runs)
		if err != nil {
			return err
		}
		onRaw, rawRows, err := timeQuery(ctx, e, fmt.Sprintf(q.rawSQL, raw), runs)
		if err != nil {
			return err
		}
		if !slices.Equal(dataRows, rawRows) {
			return fmt.Errorf("%s: the dataset and the raw files disagree:\n%v\n%v", q.name, dataRows, rawRows)
		}
		fmt.Printf("| %s | %s | %s | %.0f× |\n", q.name, benchkit.Ms(onData), benchkit.Ms(onRaw), onRaw.Seconds()/onData.Seconds())
	}
	fmt.Println()
	return nil
}

// timeQuery runs sql runs times and returns the median time and the rows
// of the last run as text.
func timeQuery(ctx context.Context, e *query.Engine, sql string, runs int) (time.Duration, []string, error) {
	var times []time.Duration
	var out []string
	for range runs {
		out = out[:0]
		start := time.Now()
		rows, err := e.Query(ctx, sql)
		if err != nil {
			return 0, nil, err
		}
		for rows.Next() {
			out = append(out, fmt.Sprint(rows.Values()...))
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return 0, nil, err
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	return times[len(times)/2], out, nil
}

// scaling times a one-hour --since query, engine opening included, on
// datasets of 1, 3 and 7 days.
func scaling(ctx context.Context, dir string, perDay, runs int) error {
	fmt.Println("## One hour out of 1, 3 and 7 days")
	fmt.Println()
	fmt.Printf("Datasets of %d records a day. The query asks for the rejected records per port\n", perDay)
	fmt.Println("between 10:00 and 11:00 UTC of the first day, with `--since`/`--until`; the time")
	fmt.Println("includes opening the engine, which lists the partition folders and defines the views.")
	fmt.Println()
	fmt.Println("| days | data files | files read | time |")
	fmt.Println("| ---: | ---: | ---: | ---: |")
	since := sample.DefaultStart.Add(10 * time.Hour)
	for _, days := range []int{1, 3, 7} {
		root := filepath.Join(dir, fmt.Sprintf("days-%d-%d", days, perDay))
		if _, err := prepare(ctx, root, sample.Options{Days: days, RecordsPerDay: perDay}); err != nil {
			return err
		}
		data := filepath.Join(root, "data")
		all, _ := filepath.Glob(filepath.Join(data, filepath.FromSlash(dataset.TableGlob(dataset.FlowsTable))))
		var times []time.Duration
		var files int
		for range runs {
			start := time.Now()
			e, err := query.Open(ctx, query.Options{Data: data, Since: since, Until: since.Add(time.Hour)})
			if err != nil {
				return err
			}
			files = e.Plan().Tables[dataset.FlowsTable].Files
			_, _, err = timeQuery(ctx, e, fmt.Sprintf(rejectedByPort, "flows"), 1)
			e.Close()
			if err != nil {
				return err
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		fmt.Printf("| %d | %d | %d | %s |\n", days, len(all), files, benchkit.Ms(times[len(times)/2]))
	}
	fmt.Println()
	return nil
}

// inCIDR is in_cidr as a Go scalar function, for the comparison with the
// SQL macro.
type inCIDR struct{}

func (inCIDR) Config() duckdb.ScalarFuncConfig {
	text, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	boolean, _ := duckdb.NewTypeInfo(duckdb.TYPE_BOOLEAN)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{text, text}, ResultTypeInfo: boolean}
}

func (inCIDR) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		a, err := netip.ParseAddr(values[0].(string))
		if err != nil {
			return nil, nil
		}
		p, err := netip.ParsePrefix(values[1].(string))
		if err != nil {
			return nil, nil
		}
		return p.Masked().Contains(a), nil
	}}
}

// cidrMacroVersusUDF times in_cidr over a million IPv4 and a million IPv6
// addresses as flowq's SQL macro and as a Go scalar function.
func cidrMacroVersusUDF(ctx context.Context, runs int) error {
	empty, err := os.MkdirTemp("", "querybench-empty-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(empty)
	e, err := query.Open(ctx, query.Options{Data: empty})
	if err != nil {
		return err
	}
	defer e.Close()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, s := range []string{"SET autoinstall_known_extensions = false", "SET autoload_known_extensions = false"} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	if err := duckdb.RegisterScalarUDF(conn, "in_cidr_go", inCIDR{}); err != nil {
		return err
	}
	addrs := map[string]string{
		"IPv4": `SELECT '10.' || (i % 256) || '.' || (i // 256 % 256) || '.' || (i // 65536 % 256) AS ip FROM range(1000000) t(i)`,
		"IPv6": `SELECT printf('2001:db8:%x::%x', i % 65536, i // 65536) AS ip FROM range(1000000) t(i)`,
	}
	cidrs := map[string]string{"IPv4": "10.0.0.0/12", "IPv6": "2001:db8:8000::/33"}

	fmt.Println("## in_cidr: SQL macro against a Go scalar function")
	fmt.Println()
	fmt.Println("`SELECT count(*) FILTER (WHERE in_cidr(ip, cidr))` over a million generated addresses;")
	fmt.Println("the Go function parses with net/netip through duckdb-go's `RegisterScalarUDF`.")
	fmt.Println()
	fmt.Println("| addresses | SQL macro | Go function |")
	fmt.Println("| --- | ---: | ---: |")
	for _, family := range []string{"IPv4", "IPv6"} {
		materialize := "CREATE OR REPLACE TEMP TABLE addrs AS " + addrs[family]
		if _, err := e.Exec(ctx, materialize); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, materialize); err != nil {
			return err
		}
		q := "SELECT count(*) FILTER (WHERE %s(ip, '" + cidrs[family] + "')) FROM addrs"
		macro, macroRows, err := timeQuery(ctx, e, fmt.Sprintf(q, "in_cidr"), runs)
		if err != nil {
			return err
		}
		var times []time.Duration
		var udfCount int64
		for range runs {
			start := time.Now()
			if err := conn.QueryRowContext(ctx, fmt.Sprintf(q, "in_cidr_go")).Scan(&udfCount); err != nil {
				return err
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		if fmt.Sprint(udfCount) != macroRows[0] {
			return fmt.Errorf("in_cidr over %s: macro counts %s, Go function %d", family, macroRows[0], udfCount)
		}
		fmt.Printf("| %s | %s | %s |\n", family, benchkit.Ms(macro), benchkit.Ms(times[len(times)/2]))
	}
	fmt.Println()
	return nil
}
