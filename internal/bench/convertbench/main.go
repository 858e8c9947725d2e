// Command convertbench measures flowq convert against DuckDB's own
// read_csv + COPY … PARTITION_BY on the same generated archive, and against
// plain parallel gzip decompression of that archive, which is the floor.
//
//	go run ./internal/bench/convertbench -records 5000000 -dir /tmp/flowq-bench
//
// Each contender runs in its own process, so that its peak RSS is its own.
// The results are printed as a Markdown table for docs/benchmarks.md.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/klauspost/compress/gzip"

	"github.com/flowq/flowq/internal/bench/benchkit"
	"github.com/flowq/flowq/internal/dataset"
	"github.com/flowq/flowq/internal/sample"
)

func main() {
	mode := flag.String("mode", "bench", "bench, or a contender run by the bench: duckdb or gunzip")
	records := flag.Int("records", 5_000_000, "records in the generated archive, at least")
	days := flag.Int("days", 3, "days the archive covers")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "flowq-bench"), "work folder; the archive is kept between runs")
	archive := flag.String("archive", "", "with -mode duckdb or gunzip: the archive folder")
	out := flag.String("out", "", "with -mode duckdb: the output folder")
	flag.Parse()

	var err error
	switch *mode {
	case "bench":
		err = bench(*records, *days, *dir)
	case "duckdb":
		err = duckConvert(*archive, *out)
	case "gunzip":
		err = gunzipAll(*archive)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "convertbench:", err)
		os.Exit(1)
	}
}

// result is one contender's measurement.
type result struct {
	name    string
	wall    time.Duration
	cpu     time.Duration // user and system time
	peakRSS int64         // bytes
	outSize int64
}

func bench(records, days int, dir string) error {
	ctx := context.Background()
	archive := filepath.Join(dir, "archive")
	truthPath := filepath.Join(dir, "truth.json")
	truth, err := loadOrGenerate(ctx, archive, truthPath, records, days)
	if err != nil {
		return err
	}
	inSize, err := dirSize(archive)
	if err != nil {
		return err
	}
	n := truth.Records()

	self, err := os.Executable()
	if err != nil {
		return err
	}
	flowqBin := filepath.Join(dir, "flowq")
	build := exec.Command("go", "build", "-o", flowqBin, "./cmd/flowq")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("cannot build flowq: %w", err)
	}

	var results []result
	floor, err := measure("gunzip (floor)", "", self, "-mode", "gunzip", "-archive", archive)
	if err != nil {
		return err
	}
	results = append(results, floor)

	flowqOut := filepath.Join(dir, "out-flowq")
	os.RemoveAll(flowqOut)
	fq, err := measure("flowq convert", flowqOut, flowqBin, "convert", archive, "--out", flowqOut, "--no-progress", "--log-level", "warn")
	if err != nil {
		return err
	}
	results = append(results, fq)

	duckOut := filepath.Join(dir, "out-duckdb")
	os.RemoveAll(duckOut)
	dk, err := measure("DuckDB read_csv + COPY", duckOut, self, "-mode", "duckdb", "-archive", archive, "-out", duckOut)
	if err != nil {
		return err
	}
	results = append(results, dk)

	if err := checkRows(flowqOut, n); err != nil {
		return err
	}
	report(results, n, inSize, truth)
	return nil
}

func loadOrGenerate(ctx context.Context, archive, truthPath string, records, days int) (*sample.Truth, error) {
	if b, err := os.ReadFile(truthPath); err == nil {
		var t sample.Truth
		if json.Unmarshal(b, &t) == nil && t.Records() >= int64(records) {
			fmt.Fprintf(os.Stderr, "using the archive in %s (%d records)\n", archive, t.Records())
			return &t, nil
		}
	}
	os.RemoveAll(archive)
	opt := sample.DemoOptions()
	opt.Days = days
	opt.RecordsPerDay = records/days + 1
	opt.GzipLevel = 6
	fmt.Fprintf(os.Stderr, "generating %d records over %d days in %s\n", records, days, archive)
	t, err := sample.GenerateToDir(ctx, archive, opt)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(t)
	return t, os.WriteFile(truthPath, b, 0o644)
}

// measure runs a command, timing it and reading its peak RSS from rusage.
func measure(name, outDir string, bin string, args ...string) (result, error) {
	fmt.Fprintf(os.Stderr, "running %s\n", name)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	began := time.Now()
	err := cmd.Run()
	wall := time.Since(began)
	// flowq exits 3 when lines were rejected; the archive has none, so any
	// non-zero status is a failure here.
	if err != nil {
		return result{}, fmt.Errorf("%s failed: %w", name, err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
	r := result{name: name, wall: wall, cpu: cpu, peakRSS: ru.Maxrss * 1024}
	if outDir != "" {
		size, err := dirSizeExt(outDir, dataset.DataFileExt)
		if err != nil {
			return r, err
		}
		r.outSize = size
	}
	return r, nil
}

func report(results []result, records, inSize int64, truth *sample.Truth) {
	cpu := benchkit.CPUModel()
	fmt.Printf("Archive: %d records in %d objects, %.1f MiB of gzip (%.1f MiB of text).\n",
		records, truth.FlowLogObjects, mib(inSize), mib(truth.UncompressedBytes))
	fmt.Printf("Machine: %s, %d logical CPUs, %s.\n\n", cpu, runtime.NumCPU(), runtime.Version())
	fmt.Println("| contender | wall time | CPU time | MB/s of gzip input | rows/s | peak RSS | output / input |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range results {
		secs := r.wall.Seconds()
		ratio := "—"
		if r.outSize > 0 {
			ratio = fmt.Sprintf("%.2f (%.1f MiB)", float64(r.outSize)/float64(inSize), mib(r.outSize))
		}
		fmt.Printf("| %s | %.2f s | %.2f s | %.1f | %.0f | %.0f MiB | %s |\n", r.name, secs, r.cpu.Seconds(),
			float64(inSize)/1e6/secs, float64(records)/secs, mib(r.peakRSS), ratio)
	}
	floor, fq, dk := results[0], results[1], results[2]
	fmt.Printf("\nflowq throughput / DuckDB: %.2f× by wall time, %.2f× by CPU time\n", dk.wall.Seconds()/fq.wall.Seconds(), dk.cpu.Seconds()/fq.cpu.Seconds())
	fmt.Printf("flowq time / decompression floor: %.2f×\n", fq.wall.Seconds()/floor.wall.Seconds())
	fmt.Printf("flowq output / DuckDB output: %.2f\n", float64(fq.outSize)/float64(dk.outSize))
}

// duckConvert is the path a user would take without flowq: DuckDB's CSV
// reader with the columns of each flow log's header, partitioned on write.
func duckConvert(archive, out string) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range []string{"SET autoinstall_known_extensions=false", "SET autoload_known_extensions=false", "SET preserve_insertion_order=false"} {
		if _, err := db.Exec(s); err != nil {
			return err
		}
	}
	formats, err := headersByFlowLog(archive)
	if err != nil {
		return err
	}
	var selects []string
	for glob, fields := range formats {
		var cols []string
		for _, f := range fields {
			kind := dataset.String
			if i := dataset.Flows.Lookup(f); i >= 0 {
				kind = dataset.Flows.Columns[i].Kind
			} else if i := dataset.TGWFlows.Lookup(f); i >= 0 {
				kind = dataset.TGWFlows.Columns[i].Kind
			}
			cols = append(cols, fmt.Sprintf("'%s': '%s'", dataset.ColumnName(f), kind.SQLType()))
		}
		selects = append(selects, fmt.Sprintf(
			"SELECT * FROM read_csv('%s', delim=' ', header=true, nullstr='-', auto_detect=false, columns={%s})",
			glob, strings.Join(cols, ", ")))
	}
	q := fmt.Sprintf(`COPY (
  SELECT *, strftime(to_timestamp(start) AT TIME ZONE 'UTC', '%%Y-%%m-%%d') AS date,
         hour(to_timestamp(start) AT TIME ZONE 'UTC') AS hour
  FROM (%s)
) TO '%s' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (account_id, date, hour))`,
		strings.Join(selects, "\nUNION ALL BY NAME\n"), out)
	_, err = db.Exec(q)
	return err
}

// headersByFlowLog returns, for each flow log in the archive, a glob of its
// objects and its header's fields. Objects of one flow log share a format.
func headersByFlowLog(archive string) (map[string][]string, error) {
	out := map[string][]string{}
	seen := map[string]bool{}
	err := filepath.WalkDir(archive, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".log.gz") {
			return err
		}
		parts := strings.Split(filepath.Base(path), "_")
		if len(parts) < 5 || seen[parts[3]] {
			return nil
		}
		seen[parts[3]] = true
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		buf := make([]byte, 4096)
		n, _ := io.ReadFull(zr, buf)
		header, _, _ := strings.Cut(string(buf[:n]), "\n")
		out[filepath.Join(archive, "**", "*_"+parts[3]+"_*.log.gz")] = strings.Fields(header)
		return nil
	})
	return out, err
}

// gunzipAll decompresses every .gz object on all cores and discards the text.
func gunzipAll(archive string) error {
	var paths []string
	err := filepath.WalkDir(archive, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".gz") {
			paths = append(paths, path)
		}
		return err
	})
	if err != nil {
		return err
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, runtime.NumCPU())
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(paths) {
					return
				}
				if err := gunzipOne(paths[i]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func gunzipOne(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	_, err = io.Copy(io.Discard, zr)
	return err
}

func checkRows(out string, want int64) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	var n int64
	var total int64
	for _, t := range []string{dataset.FlowsTable, dataset.TGWFlowsTable} {
		q := fmt.Sprintf("SELECT count(*) FROM read_parquet('%s')", filepath.Join(out, dataset.TableGlob(t)))
		if err := db.QueryRow(q).Scan(&n); err != nil {
			return err
		}
		total += n
	}
	if total != want {
		return fmt.Errorf("flowq wrote %d rows, the archive has %d", total, want)
	}
	return nil
}

func dirSize(dir string) (int64, error) { return dirSizeExt(dir, "") }

func dirSizeExt(dir, ext string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ext) {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
