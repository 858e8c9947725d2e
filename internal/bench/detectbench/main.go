// Command detectbench compares the built-in detection pack with one full
// scan of the same 24 hours. It generates one day of records with
// internal/sample, incidents included, and converts it. It then times a
// full scan of the day through the query engine and a run of the whole
// pack through detections.Run, each the median of -runs runs. Last it
// times each statement of the window setup and each rule's query once.
//
//	go run ./internal/bench/detectbench -records 5000000 -dir /tmp/db
//
// It prints a Markdown report on standard output. The archive and dataset
// stay in -dir, so a second run with the same -records reuses them.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/flowq/flowq/convert"
	"github.com/flowq/flowq/detections"
	"github.com/flowq/flowq/internal/bench/benchkit"
	"github.com/flowq/flowq/internal/sample"
	"github.com/flowq/flowq/query"
)

// defaultBaseline is the default of flowq detect --baseline, 7 days. The
// archive holds one day, so the baseline rules find no history before it.
const defaultBaseline = 7 * 24 * time.Hour

// lightScanSQL reads three columns of the window, as a quick look at the
// data would.
const lightScanSQL = `SELECT count(*), sum(bytes), count(DISTINCT srcaddr) FROM flows`

// fullScanSQL reads every value of every column that the pack reads, in
// every record of the window: the one pass over the window that the pack
// is compared with.
func fullScanSQL() string {
	cols := []string{"count(*)"}
	for _, c := range detections.ReadColumns() {
		cols = append(cols, "count("+c+")")
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM flows"
}

// targetRatio is the largest pack/scan time ratio that meets the target.
const targetRatio = 3.0

func main() {
	records := flag.Int("records", 5_000_000, "background records of the one-day archive")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "detectbench"), "folder for the archive and the dataset")
	runs := flag.Int("runs", 3, "timed runs of the scan and of the pack; the report gives the median")
	flag.Parse()
	log.SetFlags(0)
	if *records <= 0 || *runs <= 0 {
		log.Fatalf("invalid -records %d or -runs %d: give positive numbers", *records, *runs)
	}

	if err := run(context.Background(), *records, *dir, *runs); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, records int, dir string, runs int) error {
	root := filepath.Join(dir, fmt.Sprintf("day-%d", records))
	truth, err := prepare(ctx, root, sample.Options{Days: 1, RecordsPerDay: records, Incidents: true})
	if err != nil {
		return err
	}
	data := filepath.Join(root, "data")
	window := detections.Window{Since: sample.DefaultStart, Until: sample.DefaultStart.Add(24 * time.Hour), Baseline: defaultBaseline}

	rules, err := detections.BuiltinPack()
	if err != nil {
		return err
	}

	scanTime, _, err := timeScan(ctx, data, window, fullScanSQL(), runs)
	if err != nil {
		return err
	}
	lightTime, scanRow, err := timeScan(ctx, data, window, lightScanSQL, runs)
	if err != nil {
		return err
	}
	packTime, result, steps, err := timePack(ctx, data, window, rules, runs)
	if err != nil {
		return err
	}

	copyNumbers, groupPairs, cteCopy, viewRules, err := timeDesigns(ctx, data, window, rules, runs)
	if err != nil {
		return err
	}

	threatTimes, err := timeThreatLists(ctx, data, window, rules, []int{10_000, 100_000})
	if err != nil {
		return err
	}

	ratio := packTime.Seconds() / scanTime.Seconds()
	fmt.Printf("# Detection benchmark\n\n")
	fmt.Printf("Command: `go run ./internal/bench/detectbench -records %d -runs %d -dir %s`\n\n", records, runs, dir)
	fmt.Printf("CPU: %s, %d cores visible to Go; %s\n\n", benchkit.CPUModel(), runtime.NumCPU(), runtime.Version())
	fmt.Printf("Archive: %d records in %d objects, %.0f MB gzip; dataset: %.0f MB of Parquet.\n",
		truth.Records(), truth.FlowLogObjects, float64(truth.CompressedBytes)/1e6, float64(benchkit.DirSize(data))/1e6)
	fmt.Printf("Window: [%s, %s), baseline %s before it; the scan returns (count, sum(bytes), distinct srcaddr) = (%s).\n\n",
		window.Since.Format(time.RFC3339), window.Until.Format(time.RFC3339), detections.FormatDuration(window.Baseline), scanRow)

	fmt.Println("| measure | median of runs |")
	fmt.Println("| --- | ---: |")
	fmt.Printf("| full scan: every value of the %d columns the pack reads (`%s`) | %s |\n", len(detections.ReadColumns()), shorten(fullScanSQL()), benchkit.Ms(scanTime))
	fmt.Printf("| light scan: `%s` | %s |\n", lightScanSQL, benchkit.Ms(lightTime))
	fmt.Printf("| built-in pack (%d rules) through detections.Run | %s |\n", len(rules), benchkit.Ms(packTime))
	fmt.Printf("| ratio pack/full scan | %.1f× |\n", ratio)
	fmt.Printf("| ratio pack/light scan | %.1f× |\n", packTime.Seconds()/lightTime.Seconds())
	fmt.Printf("| findings | %d (%d suppressed, %d rule errors) |\n", len(result.Findings), result.Suppressed, len(result.Errors))
	fmt.Println()
	met := "met"
	if ratio > targetRatio {
		met = "not met"
	}
	fmt.Printf("Target of at most %.0f× the scan: %s.\n\n", targetRatio, met)

	var total time.Duration
	for _, st := range steps {
		total += st.time
	}
	fmt.Printf("## One run split by step\n\n")
	fmt.Printf("After the timed runs, on the same engine: each statement of SetupSQL (baseline included),\n")
	fmt.Printf("then each rule's rendered query, its rows read but not merged. Evidence queries are left out.\n")
	fmt.Printf("The pack's median minus the sum below is an estimate of the merging and evidence time.\n\n")
	fmt.Println("| step | time | share of the steps |")
	fmt.Println("| --- | ---: | ---: |")
	for _, st := range steps {
		fmt.Printf("| %s | %s | %.0f%% |\n", st.name, benchkit.Ms(st.time), 100*st.time.Seconds()/total.Seconds())
	}
	fmt.Printf("| sum of the steps | %s | 100%% |\n", benchkit.Ms(total))
	fmt.Println()

	fmt.Printf("## What the design costs at least\n\n")
	fmt.Printf("On an engine opened as flowq detect opens it, after the window tables are built; in full scans.\n\n")
	fmt.Println("| measure | time | full scans |")
	fmt.Println("| --- | ---: | ---: |")
	for _, m := range []struct {
		name string
		t    time.Duration
	}{
		{"copy only the 10 numeric and boolean columns of the window into a table, median of runs", copyNumbers},
		{"group the copied window by srcaddr and dstaddr, median of runs", groupPairs},
		{"hold all columns of the window in a materialised CTE and read them 3 times, in one statement, median of runs", cteCopy},
		{fmt.Sprintf("the %d rules over a view of the Parquet files instead of a copy, one run, sum", len(rules)), viewRules},
	} {
		fmt.Printf("| %s | %s | %.1f |\n", m.name, benchkit.Ms(m.t), m.t.Seconds()/scanTime.Seconds())
	}
	fmt.Println()

	fmt.Printf("## threat_list_match with large lists\n\n")
	fmt.Printf("The rule alone through detections.Run over the same 24 hours, with a list of random IPv4\n")
	fmt.Printf("networks, one in four a /24 and the others single addresses, loading the list included.\n\n")
	fmt.Println("| networks | time |")
	fmt.Println("| ---: | ---: |")
	for _, tt := range threatTimes {
		fmt.Printf("| %d | %s |\n", tt.networks, benchkit.Ms(tt.time))
	}
	fmt.Println()
	return nil
}

// threatTime is the time of threat_list_match with a list of networks.
type threatTime struct {
	networks int
	time     time.Duration
}

// timeThreatLists times threat_list_match alone with random lists of each
// size, on an engine opened as flowq detect opens it.
func timeThreatLists(ctx context.Context, data string, w detections.Window, rules []*detections.Rule, sizes []int) ([]threatTime, error) {
	var rule []*detections.Rule
	for _, r := range rules {
		if r.ID == "threat_list_match" {
			rule = append(rule, r)
		}
	}
	if len(rule) == 0 {
		return nil, fmt.Errorf("no built-in rule threat_list_match")
	}
	e, err := query.Open(ctx, query.Options{Data: data, Since: w.Since, Until: w.Until, AnyOrder: true})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	var out []threatTime
	for _, n := range sizes {
		list := make(detections.ThreatList, n)
		for i := range list {
			a := netip.AddrFrom4([4]byte{byte(1 + rng.IntN(223)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))})
			bits := 32
			if i%4 == 0 {
				bits = 24
			}
			list[i] = netip.PrefixFrom(a, bits).Masked()
		}
		start := time.Now()
		if _, err := detections.Run(ctx, e, rule, detections.Config{Window: detections.Window{Since: w.Since, Until: w.Until}, ThreatList: list}); err != nil {
			return nil, err
		}
		out = append(out, threatTime{n, time.Since(start)})
	}
	return out, nil
}

// prepare generates and converts the archive once, and later runs reuse it.
func prepare(ctx context.Context, root string, opt sample.Options) (*sample.Truth, error) {
	archive, data := filepath.Join(root, "archive"), filepath.Join(root, "data")
	if _, err := os.Stat(filepath.Join(root, "done")); err == nil {
		// Generating again without writing gives the same Truth, faster.
		return sample.Generate(ctx, discard{}, opt)
	}
	if err := os.RemoveAll(root); err != nil {
		return nil, err
	}
	log.Printf("generating %s", archive)
	start := time.Now()
	truth, err := sample.GenerateToDir(ctx, archive, opt)
	if err != nil {
		return nil, err
	}
	log.Printf("generated %d records in %s; converting", truth.Records(), time.Since(start).Round(time.Second))
	start = time.Now()
	src, err := convert.NewLocalSource(archive)
	if err != nil {
		return nil, err
	}
	sum, err := convert.Run(ctx, src, convert.Config{Out: data})
	if err != nil {
		return nil, err
	}
	if sum.RowsRejected > 0 || sum.ObjectsFailed > 0 {
		return nil, fmt.Errorf("convert %s: %d rows rejected, %d objects failed", archive, sum.RowsRejected, sum.ObjectsFailed)
	}
	log.Printf("converted %d rows in %s", sum.Rows, time.Since(start).Round(time.Second))
	return truth, os.WriteFile(filepath.Join(root, "done"), nil, 0o644)
}

// discard is an ObjectWriter that keeps nothing.
type discard struct{}

func (discard) WriteObject(string, []byte) error { return nil }

// shorten returns the first 60 characters of a query and an ellipsis.
func shorten(sql string) string {
	if len(sql) <= 60 {
		return sql
	}
	return sql[:60] + "…"
}

// timeScan runs sql runs times on an engine restricted to the window
// and returns the median time and the result row as text.
func timeScan(ctx context.Context, data string, w detections.Window, sql string, runs int) (time.Duration, string, error) {
	e, err := query.Open(ctx, query.Options{Data: data, Since: w.Since, Until: w.Until})
	if err != nil {
		return 0, "", err
	}
	defer e.Close()
	var times []time.Duration
	var row string
	for range runs {
		start := time.Now()
		rows, err := e.Query(ctx, sql)
		if err != nil {
			return 0, "", err
		}
		for rows.Next() {
			parts := make([]string, 0, 3)
			for _, v := range rows.Values() {
				parts = append(parts, fmt.Sprint(v))
			}
			row = strings.Join(parts, ", ")
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return 0, "", err
		}
		times = append(times, time.Since(start))
	}
	return benchkit.Median(times), row, nil
}

// timePack runs the whole pack runs times on an engine opened as flowq
// detect opens it, and returns the median time and the last result. It
// then times the steps of one run on the same engine.
func timePack(ctx context.Context, data string, w detections.Window, rules []*detections.Rule, runs int) (time.Duration, *detections.Result, []step, error) {
	cfg := detections.Config{Window: w, Settings: detections.Settings{}}
	e, err := query.Open(ctx, query.Options{Data: data, Since: cfg.DataSince(), Until: w.Until, AnyOrder: true})
	if err != nil {
		return 0, nil, nil, err
	}
	defer e.Close()
	var times []time.Duration
	var res *detections.Result
	for range runs {
		start := time.Now()
		res, err = detections.Run(ctx, e, rules, cfg)
		if err != nil {
			return 0, nil, nil, err
		}
		times = append(times, time.Since(start))
		log.Printf("pack run: %s", benchkit.Ms(times[len(times)-1]))
		for _, err := range res.Errors {
			log.Printf("rule failed: %v", err)
		}
	}
	steps, err := timeSteps(ctx, e, w, rules, setupSQL(w, rules))
	return benchkit.Median(times), res, steps, err
}

// setupSQL returns detections.SetupSQL with the baseline tables when a
// rule needs them, as detections.Run builds it.
func setupSQL(w detections.Window, rules []*detections.Rule) string {
	baseline := false
	for _, r := range rules {
		baseline = baseline || (r.Baseline && w.Baseline > 0)
	}
	return detections.SetupSQL(w, baseline)
}

// Statements that measure what the pack's design costs at least.
const (
	// copyNumbersSQL copies only the window's numeric and boolean
	// columns into a table: what materialising the window costs even
	// without a single text value.
	copyNumbersSQL = `CREATE OR REPLACE TEMP TABLE bench_numbers AS
SELECT start, "end", srcport, dstport, protocol, packets, bytes, tcp_flags, src_private, dst_private FROM flows`
	// groupPairsSQL groups the copied window by source and destination,
	// as the scan, flood and egress rules group their records.
	groupPairsSQL = `SELECT count(*) FROM (SELECT srcaddr, dstaddr, count(*), sum(bytes) FROM window_flows GROUP BY ALL)`
)

// cteCopySQL holds every column of the window in a materialised CTE and
// reads all of it three times: what the copy would cost if the whole pack
// ran as one statement.
func cteCopySQL() string {
	var counts []string
	for _, c := range detections.ReadColumns() {
		counts = append(counts, "count("+c+")")
	}
	sum := strings.Join(counts, " + ")
	return fmt.Sprintf("WITH w AS MATERIALIZED (SELECT %s FROM flows)\nSELECT (SELECT %s FROM w), (SELECT %s FROM w), (SELECT %s FROM w)",
		strings.Join(detections.ReadColumns(), ", "), sum, sum, sum)
}

// timeDesigns measures, on an engine opened as flowq detect opens it,
// the floors of the copy-then-rules design and the rules run over a view
// of the Parquet files instead of a copy (sum of the rules' times).
func timeDesigns(ctx context.Context, data string, w detections.Window, rules []*detections.Rule, runs int) (copyNumbers, groupPairs, cteCopy, viewRules time.Duration, err error) {
	e, err := query.Open(ctx, query.Options{Data: data, Since: w.Since.Add(-w.Baseline), Until: w.Until, AnyOrder: true})
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer e.Close()

	// Temporary tables belong to one connection.
	conn, err := e.Conn()
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer conn.Close()
	setup := setupSQL(w, rules)
	if _, err := conn.Exec(ctx, setup); err != nil {
		return 0, 0, 0, 0, err
	}

	timeOne := func(sql string) (time.Duration, error) {
		var times []time.Duration
		for range runs {
			start := time.Now()
			if _, err := conn.Exec(ctx, sql); err != nil {
				return 0, err
			}
			times = append(times, time.Since(start))
		}
		return benchkit.Median(times), nil
	}
	if copyNumbers, err = timeOne(copyNumbersSQL); err != nil {
		return 0, 0, 0, 0, err
	}
	if groupPairs, err = timeOne(groupPairsSQL); err != nil {
		return 0, 0, 0, 0, err
	}
	if cteCopy, err = timeOne(cteCopySQL()); err != nil {
		return 0, 0, 0, 0, err
	}

	view := strings.Replace(setup, "TEMP TABLE window_flows", "TEMP VIEW window_flows", 1)
	if view == setup {
		return 0, 0, 0, 0, fmt.Errorf("invalid setup: SetupSQL does not create the table window_flows; update timeDesigns")
	}

	// timeSteps runs on a connection of its own, without the copy.
	steps, err := timeSteps(ctx, e, w, rules, view)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	for _, st := range steps {
		if strings.HasPrefix(st.name, "rule ") {
			viewRules += st.time
		}
	}
	return copyNumbers, groupPairs, cteCopy, viewRules, nil
}

// step is one timed statement of a split run.
type step struct {
	name string
	time time.Duration
}

// timeSteps builds the window tables with setup, as detections.Run does
// with SetupSQL, one statement at a time, and then runs each rule's
// rendered query once. It leaves out what Run adds per finding: merging
// rows and the evidence query.
func timeSteps(ctx context.Context, e *query.Engine, w detections.Window, rules []*detections.Rule, setup string) ([]step, error) {
	conn, err := e.Conn()
	if err != nil {
		return nil, err
	}
	defer conn.Close()

	var steps []step
	// SetupSQL ends each statement with ";\n" and has no such text inside
	// a statement.
	for _, stmt := range strings.Split(setup, ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		start := time.Now()
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("setup statement %q: %w", setupName(stmt), err)
		}
		steps = append(steps, step{name: "setup: " + setupName(stmt), time: time.Since(start)})
	}

	for _, r := range rules {
		sql, err := r.Render(detections.Settings{}, w)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		rows, err := conn.Query(ctx, sql)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		steps = append(steps, step{name: fmt.Sprintf("rule %s (%d rows)", r.ID, n), time: time.Since(start)})
	}
	return steps, nil
}

// setupName returns the statement up to " AS" or the end of its first line,
// such as "CREATE OR REPLACE TEMP TABLE window_flows".
func setupName(stmt string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(stmt), "\n")
	name, _, _ := strings.Cut(first, " AS")
	return name
}
