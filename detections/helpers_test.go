package detections

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/convert"
	"github.com/flowq/flowq/query"
)

// testStart is the start of the window of the rule tests.
var testStart = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)

const flowHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status flow-direction pkt-dst-aws-service tcp-flags"

// flow is one record of a test file.
type flow struct {
	iface      string
	src, dst   string
	sport      int
	dport      int
	proto      int
	packets    int64
	bytes      int64
	at         time.Duration // start after testStart
	dur        int64         // seconds
	action     string
	status     string
	direction  string
	dstService string
	// flags is the tcp-flags field; 0 writes "-".
	flags int
}

func (f flow) line() string {
	dash := func(s, d string) string {
		if s == "" {
			return d
		}
		return s
	}
	start := testStart.Add(f.at).Unix()
	flags := "-"
	if f.flags != 0 {
		flags = fmt.Sprint(f.flags)
	}
	return fmt.Sprintf("5 123456789012 %s %s %s %d %d %d %d %d %d %d %s %s %s %s %s",
		dash(f.iface, "eni-0a1b2c3d4e5f60001"), dash(f.src, "-"), dash(f.dst, "-"), f.sport, f.dport, f.proto,
		f.packets, f.bytes, start, start+f.dur, dash(f.action, "ACCEPT"), dash(f.status, "OK"), dash(f.direction, "-"), dash(f.dstService, "-"), flags)
}

// dataset writes the flows as a flow-log text file, converts it with the
// real converter and returns the dataset folder.
func dataset(t testing.TB, flows []flow) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(flowHeader + "\n")
	for _, f := range flows {
		b.WriteString(f.line() + "\n")
	}
	rel := "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/03/10/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20260310T0800Z_0a1b2c3d.log"
	p := filepath.Join(dir, "archive", filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "data")
	src, err := convert.NewLocalSource(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := convert.Run(context.Background(), src, convert.Config{Out: out})
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	if sum.RowsRejected > 0 || sum.ObjectsFailed > 0 {
		t.Fatalf("convert: %d rows rejected, %d objects failed", sum.RowsRejected, sum.ObjectsFailed)
	}
	return out
}

// builtinRule returns one rule of the built-in pack.
func builtinRule(t testing.TB, id string) *Rule {
	t.Helper()
	rules, err := BuiltinPack()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no built-in rule %q", id)
	return nil
}

// runRules runs rules over a dataset with the config's window, or the
// hour from testStart when the config has none.
func runRules(t testing.TB, data string, rules []*Rule, cfg Config) *Result {
	t.Helper()
	if cfg.Since.IsZero() {
		cfg.Since, cfg.Until = testStart, testStart.Add(time.Hour)
	}
	ctx := context.Background()
	e, err := query.Open(ctx, query.Options{Data: data, Since: cfg.DataSince(), Until: cfg.Until, AnyOrder: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	res, err := Run(ctx, e, rules, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range res.Errors {
		t.Errorf("rule error: %v", err)
	}
	return res
}

// findings runs one built-in rule over flows.
func findings(t testing.TB, id string, flows []flow, cfg Config) []*Finding {
	t.Helper()
	return runRules(t, dataset(t, flows), []*Rule{builtinRule(t, id)}, cfg).Findings
}

// count returns a count of a finding as int64, failing when it is missing.
func count(t testing.TB, f *Finding, name string) int64 {
	t.Helper()
	v, ok := f.Counts[name]
	if !ok {
		t.Fatalf("finding %s %s has no count %q: %v", f.RuleID, f.Entity, name, f.Counts)
	}
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	t.Fatalf("count %q is %T", name, v)
	return 0
}

// expectOne checks that there is exactly one finding with the entity and
// returns it.
func expectOne(t testing.TB, got []*Finding, entity string) *Finding {
	t.Helper()
	if len(got) != 1 {
		var names []string
		for _, f := range got {
			names = append(names, f.RuleID+" "+f.Entity)
		}
		t.Fatalf("got %d findings %v, want one for %q", len(got), names, entity)
	}
	if got[0].Entity != entity {
		t.Fatalf("entity = %q, want %q", got[0].Entity, entity)
	}
	return got[0]
}

func expectNone(t testing.TB, got []*Finding) {
	t.Helper()
	for _, f := range got {
		t.Errorf("unexpected finding %s %s %v", f.RuleID, f.Entity, f.Counts)
	}
}

func expectSeen(t testing.TB, f *Finding, first, last time.Time) {
	t.Helper()
	if !f.FirstSeen.Equal(first) {
		t.Errorf("first_seen = %s, want %s", f.FirstSeen, first)
	}
	if !f.LastSeen.Equal(last) {
		t.Errorf("last_seen = %s, want %s", f.LastSeen, last)
	}
}

// repeat returns n flows made by fn.
func repeat(n int, fn func(i int) flow) []flow {
	out := make([]flow, n)
	for i := range out {
		out[i] = fn(i)
	}
	return out
}

type netipPrefix = netip.Prefix

func mustPrefix(t testing.TB, s string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func itoa(n int) string { return strconv.Itoa(n) }
