package notebooks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/query"
)

func TestRunCellsReadEarlierCells(t *testing.T) {
	e := openEngine(t, time.Time{}, time.Time{})
	nb := mustParse(t, "t.md", "---\nparams:\n  ip: 10.0.3.30\n  n: 2\n---\n"+
		"```sql name=out\nSELECT dstaddr, sum(bytes) AS bytes FROM flows WHERE srcaddr = {{ip}} GROUP BY 1 ORDER BY 2 DESC\n```\n"+
		"```sql name=top\nSELECT * FROM out LIMIT {{n}}\n```\n"+
		"```sql name=range\nSELECT {{since}} AS since, {{until}} AS until\n```\n")
	res, err := Run(context.Background(), e, nb, RunOptions{Params: map[string]string{"n": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	top := cellRows(t, res, "top")
	if len(top) != 1 {
		t.Fatalf("top rows = %d, want 1 (LIMIT {{n}} with n=1)", len(top))
	}
	if top[0]["dstaddr"] != "198.51.100.200" {
		t.Errorf("top destination = %v, want 198.51.100.200", top[0]["dstaddr"])
	}
	if got, want := res.Params["ip"], "10.0.3.30"; got != want {
		t.Errorf("params[ip] = %q, want the default %q", got, want)
	}
	if got := res.Cell("top").SQL; !strings.Contains(got, "LIMIT 1") {
		t.Errorf("substituted SQL = %q, want LIMIT 1", got)
	}
}

func TestRunFailedCellDoesNotStopOthers(t *testing.T) {
	e := openEngine(t, time.Time{}, time.Time{})
	nb := mustParse(t, "t.md", "```sql name=bad\nSELECT no_such_column FROM flows\n```\n"+
		"```sql name=after_bad\nSELECT count(*) AS n FROM bad\n```\n"+
		"```sql name=good\nSELECT count(*) AS n FROM flows\n```\n"+
		"```sql name=chart chart=bar x=missing y=n\nSELECT 1 AS n\n```\n")
	res, err := Run(context.Background(), e, nb, RunOptions{})
	if !errors.Is(err, ErrCellFailed) {
		t.Fatalf("error = %v, want ErrCellFailed", err)
	}
	if res == nil || len(res.Cells) != 4 {
		t.Fatalf("result = %+v, want 4 cells", res)
	}
	if k := query.KindOf(res.Cell("bad").Err); k != query.KindBinder {
		t.Errorf("bad cell error kind = %v, want binder error", k)
	}
	if msg := res.Cell("after_bad").Err; msg == nil || !strings.Contains(msg.Error(), `reads cell "bad", which failed`) {
		t.Errorf("dependent cell error = %v", msg)
	}
	if rows := cellRows(t, res, "good"); toInt64(t, rows[0]["n"]) != loadDemo(t).truth.Tables["flows"].Records {
		t.Errorf("good cell count = %v, want %d", rows[0]["n"], loadDemo(t).truth.Tables["flows"].Records)
	}
	if msg := res.Cell("chart").Err; msg == nil || !strings.Contains(msg.Error(), `chart column "missing"`) {
		t.Errorf("chart cell error = %v", msg)
	}
	if got := len(res.Failed()); got != 3 {
		t.Errorf("failed cells = %d, want 3", got)
	}
}

func TestRunParameterErrors(t *testing.T) {
	e := openEngine(t, time.Time{}, time.Time{})
	declared := mustParse(t, "d.md", "---\nparams:\n  ip:\n  n: 5\n---\n```sql name=a\nSELECT {{ip}}, {{n}}\n```\n")
	free := mustParse(t, "f.md", "# free\n\n```sql name=a\nSELECT 1,\n {{ip}}\n```\n")
	for _, tc := range []struct {
		nb     *Notebook
		params map[string]string
		msg    string
	}{
		{declared, nil, `needs parameter "ip"`},
		{declared, map[string]string{"ip": "x", "port": "1"}, `has no parameter "port"`},
		{declared, map[string]string{"ip": "x", "n": "5; DROP TABLE x"}, `invalid integer`},
		{declared, map[string]string{"ip": "x", "since": "1"}, `set by --since and --until`},
		{free, nil, `f.md:5: cell "a": unknown parameter {{ip}}`},
	} {
		_, err := Run(context.Background(), e, tc.nb, RunOptions{Params: tc.params})
		if !errors.Is(err, ErrParam) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Run(%s, %v) error = %v, want ErrParam containing %q", tc.nb.Name, tc.params, err, tc.msg)
		}
	}
}

func TestRunParameterValueIsALiteral(t *testing.T) {
	e := openEngine(t, time.Time{}, time.Time{})
	nb := mustParse(t, "f.md", "```sql name=a\nSELECT {{v}} AS v\n```\n")
	hostile := `x' OR 1=1; DROP TABLE a; -- \'`
	res, err := Run(context.Background(), e, nb, RunOptions{Params: map[string]string{"v": hostile}})
	if err != nil {
		t.Fatal(err)
	}
	if got := cellRows(t, res, "a")[0]["v"]; got != hostile {
		t.Errorf("value = %q, want %q unchanged", got, hostile)
	}
}

func TestRunSinceUntilFromEngine(t *testing.T) {
	since := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	e := openEngine(t, since, since.Add(24*time.Hour))
	nb := mustParse(t, "f.md", "```sql name=a\nSELECT {{since}} AS since, {{until}} AS until\n```\n")
	res, err := Run(context.Background(), e, nb, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	row := cellRows(t, res, "a")[0]
	if got, ok := row["since"].(time.Time); !ok || !got.Equal(since) {
		t.Errorf("since = %v, want %v", row["since"], since)
	}
	if got, ok := row["until"].(time.Time); !ok || !got.Equal(since.Add(24*time.Hour)) {
		t.Errorf("until = %v", row["until"])
	}

	unbounded := openEngine(t, time.Time{}, time.Time{})
	nb = mustParse(t, "f.md", "```sql name=a\nSELECT count(*) AS n FROM flows WHERE start_time >= {{since}} AND start_time < {{until}}\n```\n")
	res, err = Run(context.Background(), unbounded, nb, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := toInt64(t, cellRows(t, res, "a")[0]["n"]), loadDemo(t).truth.Tables["flows"].Records; got != want {
		t.Errorf("rows between infinite bounds = %d, want %d", got, want)
	}
}

func TestRunMaxRowsKeepsCount(t *testing.T) {
	e := openEngine(t, time.Time{}, time.Time{})
	nb := mustParse(t, "f.md", "```sql name=a\nSELECT range AS i FROM range(50)\n```\n")
	res, err := Run(context.Background(), e, nb, RunOptions{MaxRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	cr := res.Cell("a")
	if len(cr.Rows) != 10 || cr.RowCount != 50 || !cr.Truncated() {
		t.Errorf("rows = %d, count = %d, truncated = %v; want 10, 50, true", len(cr.Rows), cr.RowCount, cr.Truncated())
	}
}
