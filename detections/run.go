package detections

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowq/flowq/query"
)

// Finding is one rule firing for one entity in one run window.
type Finding struct {
	// UID identifies the rule, entity and window; the same run over the
	// same data gives the same UID.
	UID         string
	RuleID      string
	Title       string
	Description string
	Severity    Severity
	Attack      []Attack
	Entity      string
	EntityType  string
	FirstSeen   time.Time
	LastSeen    time.Time
	// WindowStart and WindowEnd are the run's [since, until).
	WindowStart time.Time
	WindowEnd   time.Time
	SrcAddr     string
	DstAddr     string
	DstPort     *int
	Protocol    *int
	InterfaceID string
	// Counts are the numeric columns of the rule's row, int64 or float64.
	Counts map[string]any
	// Details are the other columns of the rule's row, as text.
	Details map[string]string
	// Evidence are up to Config.EvidenceRows flow records of the finding,
	// the largest by bytes first. When the finding names only one side of
	// the traffic, each counterpart's largest record comes before a second
	// record of any.
	Evidence []map[string]any
	// SQL reproduces the finding with flowq sql: the window tables and the
	// rule's query with its parameters filled in.
	SQL string
}

// Config is one detection run.
type Config struct {
	Window
	// Accounts and Regions, when not empty, keep only the records of these
	// account ids and regions in the window tables, so the SQL of a
	// finding reproduces it on any engine.
	Accounts, Regions []string
	// Settings replace parameter defaults.
	Settings Settings
	// Allowlist suppresses findings; nil suppresses none.
	Allowlist *Allowlist
	// ThreatList fills the threat_list table.
	ThreatList ThreatList
	// EvidenceRows is the number of flow records kept per finding.
	// Default 5.
	EvidenceRows int
}

// RuleError is a rule that failed to run.
type RuleError struct {
	RuleID string
	File   string
	// Line is the line of File that DuckDB's error points at, or 0.
	Line int
	Err  error
}

func (e *RuleError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("rule %q (%s:%d): %v", e.RuleID, e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("rule %q (%s): %v", e.RuleID, e.File, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

// ErrNoRecords is returned by Run when the window holds no flow log
// records at all, so no rule could find anything: the period was not
// converted, or the filters select nothing.
var ErrNoRecords = errors.New("no flow log records in the detection window")

// Result is the outcome of a run.
type Result struct {
	// Findings are sorted by severity, most severe first, then by rule
	// and entity.
	Findings []*Finding
	// Suppressed counts the findings that the allowlist dropped.
	Suppressed int
	// Errors are the rules that failed, as *RuleError values, and a
	// failure to collect evidence, after which findings lack evidence.
	Errors []error
	// Rules counts the rules that ran.
	Rules int
}

// Validate checks the window and settings against the rules.
func (c *Config) Validate(rules []*Rule) error {
	if c.Since.IsZero() || c.Until.IsZero() || !c.Until.After(c.Since) {
		return fmt.Errorf("invalid detection window [%s, %s): give a since before until", c.Since.Format(time.RFC3339), c.Until.Format(time.RFC3339))
	}
	if c.Baseline < 0 {
		return fmt.Errorf("invalid baseline %s: give 0 or more", c.Baseline)
	}
	// Settings of rules outside this run are for other runs.
	ids := map[string]bool{}
	for _, r := range rules {
		ids[r.ID] = true
	}
	own := Settings{}
	for id, values := range c.Settings {
		if ids[id] {
			own[id] = values
		}
	}
	return own.Check(rules)
}

// DataSince returns the earliest time that a run reads: the start of the
// baseline history. Open the query engine with Since set to it and Until
// to the window's Until.
func (c *Config) DataSince() time.Time {
	return c.Since.Add(-c.Baseline)
}

// windowColumns are the flow-log columns of window_flows and
// baseline_flows: those the rules and the evidence read. Copying a column of
// text into a table costs far more than reading it, so the identifiers that
// no rule reads (vpc_id, subnet_id, instance_id, pkt_srcaddr, pkt_dstaddr)
// stay in the flows view.
const windowColumns = `start, "end", start_time, end_time, account_id, region,
  interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, action, tcp_flags,
  flow_direction, pkt_dst_aws_service`

// statusColumns are the columns of window_status. NODATA and SKIPDATA
// records carry no addresses, ports or counts, so it has only the columns
// that place the record in time and locate its interface.
const statusColumns = `start, "end", start_time, end_time, account_id, region, vpc_id, subnet_id, instance_id,
  interface_id, action, log_status`

// ReadColumns returns the columns of the flows view that a run reads: a
// scan of these over the window reads everything the pack needs.
func ReadColumns() []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range []string{windowColumns, statusColumns, "src_private, dst_private"} {
		for _, c := range strings.Split(list, ",") {
			c = strings.TrimSpace(c)
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// SetupSQL returns the statements that materialise the window tables. The
// address classes come from the dataset's src_private and dst_private
// columns, which the converter computes once per record.
func SetupSQL(w Window, baseline bool) string {
	return strings.Join(setupStatements(w, nil, nil, baseline), ";\n")
}

// setupStatements returns the statements of SetupSQL, with the records
// restricted to accounts and regions when these are not empty.
func setupStatements(w Window, accounts, regions []string, baseline bool) []string {
	since, until := w.Since.Unix(), untilSeconds(w.Until)
	from := since - int64(w.Baseline/time.Second)*boolInt(baseline)
	scope := scopeCondition(accounts, regions)
	body := fmt.Sprintf(`SELECT %s,
  coalesce(src_private, false) AS src_private, coalesce(dst_private, false) AS dst_private,
  coalesce(flow_direction = 'egress', coalesce(src_private, false) AND NOT coalesce(dst_private, false)) AS egress
FROM flows
WHERE coalesce(log_status, 'OK') = 'OK' AND coalesce(start, "end") < %d%s`, windowColumns, until, scope)
	stmts := []string{fmt.Sprintf("CREATE OR REPLACE TEMP TABLE window_flows AS\n%s AND coalesce(\"end\", start) >= %d\n  AND %s",
		body, since, partitionRange(since, until))}
	if baseline {
		stmts = append(stmts, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE baseline_flows AS\n%s AND coalesce(\"end\", start) >= %d AND coalesce(\"end\", start) < %d\n  AND %s",
			body, from, since, partitionRange(from, since)))
	} else {
		stmts = append(stmts, "CREATE OR REPLACE TEMP TABLE baseline_flows AS SELECT * FROM window_flows WHERE false")
	}
	stmts = append(stmts, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE window_status AS
SELECT %s FROM flows WHERE log_status IN ('NODATA', 'SKIPDATA') AND coalesce("end", start) >= %d AND coalesce(start, "end") < %d%s
  AND %s`, statusColumns, since, until, scope, partitionRange(since, until)),
		"CREATE OR REPLACE TEMP TABLE threat_list (network VARCHAR, lo BIGINT, hi BIGINT, lo6 UHUGEINT, hi6 UHUGEINT, bits INTEGER)")
	return stmts
}

// scopeCondition returns " AND account_id IN (...) AND region IN (...)"
// for the lists that are not empty, or "".
func scopeCondition(accounts, regions []string) string {
	var b strings.Builder
	for _, f := range []struct {
		column string
		values []string
	}{{"account_id", accounts}, {"region", regions}} {
		if len(f.values) == 0 {
			continue
		}
		quoted := make([]string, len(f.values))
		for i, v := range f.values {
			quoted[i] = sqlString(v)
		}
		fmt.Fprintf(&b, " AND %s IN (%s)", f.column, strings.Join(quoted, ", "))
	}
	return b.String()
}

// partitionRange returns a condition on the partition columns date and
// hour that keeps the partitions that can hold records overlapping
// [from, until): records sit in the hour of their start, which is before
// until and at most query.RecordSpan before from. DuckDB tests comparisons
// of partition columns with constants on each file's folder names, and
// opens only the files that pass.
func partitionRange(from, until int64) string {
	first := time.Unix(from, 0).UTC().Add(-query.RecordSpan).Truncate(time.Hour)
	last := time.Unix(until-1, 0).UTC().Truncate(time.Hour)
	fd, ld := first.Format(time.DateOnly), last.Format(time.DateOnly)
	return fmt.Sprintf(`"date" BETWEEN DATE '%[1]s' AND DATE '%[2]s' AND ("date" > DATE '%[1]s' OR "hour" >= %[3]d) AND ("date" < DATE '%[2]s' OR "hour" <= %[4]d)`,
		fd, ld, first.Hour(), last.Hour())
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func untilSeconds(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// threatListSQL returns the statement that fills threat_list, or "" for
// an empty list. The networks travel as one text literal that SQL
// splits, since DuckDB parses a VALUES list of many thousand rows slowly
// and with much memory. Each network also gets its first and last address
// as integers, lo and hi for IPv4 and lo6 and hi6 for IPv6, and its prefix
// length, bits.
func threatListSQL(list ThreatList) string {
	if len(list) == 0 {
		return ""
	}
	rows := make([]string, len(list))
	for i, p := range list {
		bits := p.Addr().BitLen()
		lo := new(big.Int).SetBytes(p.Masked().Addr().AsSlice())
		span := new(big.Int).Lsh(big.NewInt(1), uint(bits-p.Bits()))
		hi := new(big.Int).Add(lo, span.Sub(span, big.NewInt(1)))
		if p.Addr().Is4() {
			rows[i] = fmt.Sprintf("%s,%s,%s,,,%d", p, lo, hi, p.Bits())
		} else {
			rows[i] = fmt.Sprintf("%s,,,%s,%s,%d", p, lo, hi, p.Bits())
		}
	}
	return fmt.Sprintf(`INSERT INTO threat_list
SELECT p[1], nullif(p[2], '')::BIGINT, nullif(p[3], '')::BIGINT, nullif(p[4], '')::UHUGEINT, nullif(p[5], '')::UHUGEINT, p[6]::INTEGER
FROM (SELECT string_split(unnest(string_split(%s, ' ')), ',') AS p)`, sqlString(strings.Join(rows, " ")))
}

// ReproduceSQL returns a script for flowq sql that builds the window
// tables and runs the rule with its parameters filled in.
func ReproduceSQL(r *Rule, c *Config) (string, error) {
	sql, err := r.Render(c.Settings, c.Window)
	if err != nil {
		return "", err
	}
	script := strings.Join(setupStatements(c.Window, c.Accounts, c.Regions, r.Baseline && c.Baseline > 0), ";\n") + ";\n"
	// A threat list can hold many thousand networks, so only the scripts
	// of rules that read it carry it.
	if t := threatListSQL(c.ThreatList); t != "" && r.Reads("threat_list") {
		script += t + ";\n"
	}
	return script + sql + ";\n", nil
}

// Run materialises the window once on a session of engine, runs every rule
// against it and returns the findings. A rule that fails is reported in
// Result.Errors and the others still run; Run returns an error only when
// the window cannot be built or ctx is cancelled.
func Run(ctx context.Context, engine *query.Engine, rules []*Rule, c Config) (*Result, error) {
	if err := c.Validate(rules); err != nil {
		return nil, err
	}
	if c.EvidenceRows == 0 {
		c.EvidenceRows = 5
	}
	conn, err := engine.Conn()
	if err != nil {
		return nil, err
	}
	defer conn.Close()

	needBaseline := false
	for _, r := range rules {
		needBaseline = needBaseline || (r.Baseline && c.Baseline > 0)
	}
	setup := setupStatements(c.Window, c.Accounts, c.Regions, needBaseline)
	if t := threatListSQL(c.ThreatList); t != "" {
		setup = append(setup, t)
	}
	for _, stmt := range setup {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			if errors.Is(err, query.ErrNoDataInRange) {
				return nil, noRecords(c.Window)
			}
			return nil, fmt.Errorf("read the detection window: %w", err)
		}
	}
	row, err := queryRow(ctx, conn, "SELECT (SELECT count(*) FROM window_flows) + (SELECT count(*) FROM window_status)")
	if err != nil {
		return nil, fmt.Errorf("read the detection window: %w", err)
	}
	if records, _ := number(row[0]); records == int64(0) {
		return nil, noRecords(c.Window)
	}

	res := &Result{}
	for _, r := range rules {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// baseline_flows is filled only when a rule of the run sets
		// baseline: true, so a rule that reads it without the flag would
		// find history in some runs and none in others.
		if !r.Baseline && r.Reads("baseline_flows") {
			res.Errors = append(res.Errors, &RuleError{RuleID: r.ID, File: r.File,
				Err: errors.New("invalid rule: the query reads baseline_flows but the front matter does not set baseline: true; add it")})
			continue
		}
		findings, err := runRule(ctx, conn, r, &c)
		if err != nil {
			if query.KindOf(err) == query.KindInterrupted {
				return nil, err
			}
			res.Errors = append(res.Errors, &RuleError{RuleID: r.ID, File: r.File, Line: errorLine(r, err), Err: err})
			continue
		}
		res.Rules++
		for _, f := range findings {
			if c.Allowlist.Allows(f) {
				res.Suppressed++
				continue
			}
			res.Findings = append(res.Findings, f)
		}
	}
	filters := map[string]string{}
	for _, r := range rules {
		filters[r.ID] = r.Evidence
	}
	if err := addEvidence(ctx, conn, res.Findings, c.EvidenceRows, filters); err != nil {
		if query.KindOf(err) == query.KindInterrupted {
			return nil, err
		}
		res.Errors = append(res.Errors, fmt.Errorf("collect the evidence of the findings: %w", err))
	}
	sort.SliceStable(res.Findings, func(i, j int) bool {
		a, b := res.Findings[i], res.Findings[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.Entity < b.Entity
	})
	return res, nil
}

// checkOneSelect rejects a query that is not one SELECT statement, such as
// a DELETE of window_flows before the SELECT, which would change what the
// other rules of the run see. DuckDB's parser decides: json_serialize_sql
// serialises SELECT statements only. Syntax errors pass here and are
// reported when the query runs, with their line.
func checkOneSelect(ctx context.Context, conn *query.Conn, sql string) error {
	row, err := queryRow(ctx, conn, `SELECT coalesce(json_extract_string(j, '$.error_type'), ''), coalesce(json_array_length(j, '$.statements'), 0)
FROM (SELECT json_serialize_sql(?::VARCHAR) AS j)`, sql)
	if err != nil {
		return err
	}
	kind, _ := row[0].(string)
	statements, _ := number(row[1])
	if kind == "not implemented" || toF(statements) > 1 {
		return errors.New("invalid rule: the query must be one SELECT statement (WITH ... SELECT is fine): rules read the window tables and must not change them")
	}
	return nil
}

// queryRow runs a query that returns one row and returns its values.
func queryRow(ctx context.Context, conn *query.Conn, sql string, args ...any) ([]any, error) {
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("no row from %q", sql)
	}
	return rows.Values(), rows.Err()
}

func noRecords(w Window) error {
	return fmt.Errorf("%w [%s, %s)", ErrNoRecords, w.Since.UTC().Format(time.RFC3339), w.Until.UTC().Format(time.RFC3339))
}

// runRule runs one rule and merges its rows by entity.
func runRule(ctx context.Context, conn *query.Conn, r *Rule, c *Config) ([]*Finding, error) {
	sql, err := r.Render(c.Settings, c.Window)
	if err != nil {
		return nil, err
	}
	reproduce, err := ReproduceSQL(r, c)
	if err != nil {
		return nil, err
	}
	if err := checkOneSelect(ctx, conn, sql); err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := rows.Columns()
	index := map[string]int{}
	for i, col := range cols {
		if _, dup := index[col.Name]; dup {
			return nil, fmt.Errorf("the query returns column %q twice: give each column its own name", col.Name)
		}
		index[col.Name] = i
	}
	for _, need := range []string{"entity", "first_seen", "last_seen"} {
		if _, ok := index[need]; !ok {
			return nil, fmt.Errorf("the query returns no column %q: every rule must be one SELECT that returns entity, first_seen and last_seen", need)
		}
	}
	for _, need := range []string{"first_seen", "last_seen"} {
		if typ := cols[index[need]].Type; !strings.HasPrefix(typ, "TIMESTAMP") {
			return nil, fmt.Errorf("invalid column %s of type %s: return a timestamp, such as min(start_time), not min(start)", need, typ)
		}
	}
	// The columns that select evidence and match the allowlist must have
	// the type of the flow-log column they name.
	for _, known := range []struct {
		name, example string
		integer       bool
	}{
		{"src_addr", "srcaddr", false}, {"dst_addr", "dstaddr", false}, {"interface_id", "interface_id", false},
		{"dst_port", "dstport", true}, {"protocol", "protocol", true},
	} {
		i, ok := index[known.name]
		if !ok {
			continue
		}
		typ := cols[i].Type
		switch {
		case known.integer && !strings.HasSuffix(typ, "INT") && !strings.HasSuffix(typ, "INTEGER"):
			return nil, fmt.Errorf("invalid column %s of type %s: return an integer, such as %s", known.name, typ, known.example)
		case !known.integer && typ != "VARCHAR":
			return nil, fmt.Errorf("invalid column %s of type %s: return text, such as %s", known.name, typ, known.example)
		}
	}

	byEntity := map[string]*Finding{}
	var order []*Finding
	for rows.Next() {
		vals := rows.Values()
		entity := fmt.Sprint(vals[index["entity"]])
		first, ok1 := vals[index["first_seen"]].(time.Time)
		last, ok2 := vals[index["last_seen"]].(time.Time)
		if vals[index["entity"]] == nil || !ok1 || !ok2 {
			return nil, fmt.Errorf("a row has a NULL entity, first_seen or last_seen: leave out rows without them, for example with WHERE srcaddr IS NOT NULL")
		}
		f, seen := byEntity[entity]
		if !seen {
			f = newFinding(r, c, entity, reproduce)
			byEntity[entity] = f
			order = append(order, f)
			f.FirstSeen, f.LastSeen = first, last
		}
		if first.Before(f.FirstSeen) {
			f.FirstSeen = first
		}
		if last.After(f.LastSeen) {
			f.LastSeen = last
		}
		for i, col := range cols {
			mergeColumn(f, col.Name, vals[i], seen)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return order, nil
}

// duckLine finds the "LINE n:" that DuckDB puts in parser and binder
// errors, counted from the first line of the query.
var duckLine = regexp.MustCompile(`\bLINE (\d+):`)

// errorLine returns the line of the rule's file that a DuckDB error points
// at, or 0. Rendering fills placeholders within their lines, so line n of
// the query is line n of the SQL after the front matter.
func errorLine(r *Rule, err error) int {
	m := duckLine.FindStringSubmatch(err.Error())
	if m == nil || r.SQLLine == 0 {
		return 0
	}
	n, convErr := strconv.Atoi(m[1])
	if convErr != nil {
		return 0
	}
	return r.SQLLine + n - 1
}

func newFinding(r *Rule, c *Config, entity, reproduce string) *Finding {
	sum := sha256.Sum256([]byte(r.ID + "\x00" + entity + "\x00" + c.Since.UTC().Format(time.RFC3339) + "\x00" + c.Until.UTC().Format(time.RFC3339)))
	return &Finding{
		UID: hex.EncodeToString(sum[:16]), RuleID: r.ID, Title: r.Title, Description: r.Description,
		Severity: r.Severity, Attack: r.Attack, Entity: entity, EntityType: r.Entity,
		WindowStart: c.Since.UTC(), WindowEnd: c.Until.UTC(),
		Counts: map[string]any{}, Details: map[string]string{}, SQL: reproduce,
	}
}

// mergeColumn folds one value of a row into its finding: identifying
// columns keep the first row's value, counts keep the largest.
func mergeColumn(f *Finding, name string, v any, seen bool) {
	if v == nil {
		return
	}
	switch name {
	case "entity", "first_seen", "last_seen":
		return
	case "src_addr", "dst_addr", "interface_id":
		if seen {
			return
		}
		s := fmt.Sprint(v)
		switch name {
		case "src_addr":
			f.SrcAddr = s
		case "dst_addr":
			f.DstAddr = s
		default:
			f.InterfaceID = s
		}
		return
	case "dst_port", "protocol":
		if n, ok := number(v); ok && !seen {
			i := int(n.(int64))
			if name == "dst_port" {
				f.DstPort = &i
			} else {
				f.Protocol = &i
			}
		}
		return
	}
	// JSON has no Inf or NaN, so such a value is a detail: "+Inf".
	n, ok := finiteNumber(v)
	if !ok {
		if _, has := f.Details[name]; !has {
			if t, isTime := v.(time.Time); isTime {
				f.Details[name] = t.UTC().Format(time.RFC3339)
			} else {
				f.Details[name] = fmt.Sprint(v)
			}
		}
		return
	}
	old, has := f.Counts[name]
	if !has || less(old, n) {
		f.Counts[name] = n
	}
}

// number converts a DuckDB numeric value to int64 or float64.
func number(v any) (any, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x > 1<<63-1 {
			return float64(x), true
		}
		return int64(x), true
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), true
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case query.Decimal:
		return decimalFloat(x), true
	}
	return nil, false
}

// finiteNumber is number for values that JSON can hold: an infinite or
// NaN float is not one.
func finiteNumber(v any) (any, bool) {
	n, ok := number(v)
	if x, isFloat := n.(float64); isFloat && (math.IsNaN(x) || math.IsInf(x, 0)) {
		return nil, false
	}
	return n, ok
}

func less(a, b any) bool {
	return toF(a) < toF(b)
}

func toF(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// addEvidence fetches, for every finding, the largest flow records of its
// entity between its first and last seen. Findings that name the same kind
// of entity share one query, a hash join of window_flows with their keys,
// so the window is scanned a few times in all rather than once per finding.
func addEvidence(ctx context.Context, conn *query.Conn, findings []*Finding, limit int, filters map[string]string) error {
	groups := map[string][]int{}
	var order []string
	for i, f := range findings {
		sig := evidenceSignature(f)
		if !strings.Contains(sig, " ") {
			// A finding that names no address, port, protocol or
			// interface has no records of its own to show.
			continue
		}
		// Findings of rules with their own evidence condition get their
		// own query; the condition follows a NUL byte.
		if filter := filters[f.RuleID]; filter != "" {
			sig += "\x00" + filter
		}
		if _, ok := groups[sig]; !ok {
			order = append(order, sig)
		}
		groups[sig] = append(groups[sig], i)
	}
	for _, sig := range order {
		if err := addEvidenceGroup(ctx, conn, findings, groups[sig], sig, limit); err != nil {
			return err
		}
	}
	return nil
}

// evidenceKeys are the finding fields that select evidence, with the
// window column each one matches.
var evidenceKeys = []struct{ name, column, sqlType string }{
	{"src", "srcaddr", "VARCHAR"}, {"dst", "dstaddr", "VARCHAR"}, {"port", "dstport", "INTEGER"},
	{"proto", "protocol", "INTEGER"}, {"iface", "interface_id", "VARCHAR"},
}

// evidenceSignature names the table and the keys a finding's evidence uses,
// such as "window_flows src dst".
func evidenceSignature(f *Finding) string {
	sig := "window_flows"
	if f.RuleID == "skipdata_lost_telemetry" {
		sig = "window_status"
	}
	for _, k := range evidenceKeys {
		if evidenceValue(f, k.name) != "" {
			sig += " " + k.name
		}
	}
	return sig
}

// evidenceValue returns a key of a finding as an SQL literal, or "".
func evidenceValue(f *Finding, key string) string {
	switch key {
	case "src":
		if f.SrcAddr != "" {
			return sqlString(f.SrcAddr)
		}
	case "dst":
		if f.DstAddr != "" {
			return sqlString(f.DstAddr)
		}
	case "port":
		if f.DstPort != nil {
			return strconv.Itoa(*f.DstPort)
		}
	case "proto":
		if f.Protocol != nil {
			return strconv.Itoa(*f.Protocol)
		}
	case "iface":
		if f.InterfaceID != "" {
			return sqlString(f.InterfaceID)
		}
	}
	return ""
}

func addEvidenceGroup(ctx context.Context, conn *query.Conn, findings []*Finding, idx []int, sig string, limit int) error {
	sig, filter, _ := strings.Cut(sig, "\x00")
	fields := strings.Fields(sig)
	table, keys := fields[0], fields[1:]

	// The findings' keys as a VALUES list: index, first seen, last seen, keys.
	var rows []string
	for _, i := range idx {
		f := findings[i]
		vals := []string{strconv.Itoa(i), sqlTime(f.FirstSeen), sqlTime(f.LastSeen)}
		for _, k := range keys {
			vals = append(vals, evidenceValue(f, k))
		}
		rows = append(rows, "("+strings.Join(vals, ", ")+")")
	}
	names := append([]string{"i", "first_seen", "last_seen"}, keys...)
	on := []string{"true"}
	for _, k := range keys {
		for _, ek := range evidenceKeys {
			if ek.name == k {
				on = append(on, fmt.Sprintf("w.%s = k.%s", ek.column, k))
			}
		}
	}
	where := "w.start_time <= k.last_seen AND w.end_time >= k.first_seen"
	cols := `w.start_time, w.end_time, w.interface_id, w.srcaddr, w.srcport, w.dstaddr, w.dstport,
  w.protocol, w.packets, w.bytes, w.action, w.flow_direction`
	// Ordering by every column puts records with equal byte counts in the
	// same order in every run.
	order := `w.bytes DESC NULLS LAST, w.packets DESC NULLS LAST, w.start_time, w.end_time, w.srcaddr, w.srcport,
  w.dstaddr, w.dstport, w.protocol, w.interface_id, w.action, w.flow_direction`
	if table == "window_status" {
		// Its records have no traffic columns, so the evidence shows them
		// as NULL, as the flow log does.
		cols = `w.start_time, w.end_time, w.interface_id, NULL::VARCHAR AS srcaddr, NULL::INTEGER AS srcport,
  NULL::VARCHAR AS dstaddr, NULL::INTEGER AS dstport, NULL::INTEGER AS protocol, NULL::BIGINT AS packets,
  NULL::BIGINT AS bytes, w.action, w.log_status`
		order = "w.start_time, w.interface_id, w.end_time, w.action"
		// The table also contains NODATA records, which only mean that no
		// traffic passed. The evidence of lost telemetry is SKIPDATA.
		where += " AND w.log_status = 'SKIPDATA'"
	}
	if filter != "" {
		where += " AND (" + filter + ")"
	}
	// A finding that names one side of the traffic shows the largest
	// record of each counterpart before a second record of any, so the
	// evidence of a flood names several sources, not one source five times.
	spread := "1"
	if table == "window_flows" {
		if !slices.Contains(keys, "src") {
			spread = fmt.Sprintf("row_number() OVER (PARTITION BY k.i, w.srcaddr ORDER BY %s)", order)
		} else if !slices.Contains(keys, "dst") {
			spread = fmt.Sprintf("row_number() OVER (PARTITION BY k.i, w.dstaddr ORDER BY %s)", order)
		}
	}
	sql := fmt.Sprintf(`SELECT * EXCLUDE (spread) FROM (
SELECT k.i, %s, %s AS spread
FROM (VALUES %s) AS k(%s) JOIN %s w ON %s
WHERE %s) w
QUALIFY row_number() OVER (PARTITION BY w.i ORDER BY spread, %s) <= %d
ORDER BY w.i, spread, %s`,
		cols, spread, strings.Join(rows, ", "), strings.Join(names, ", "), table, strings.Join(on, " AND "), where, order, limit, order)
	res, err := conn.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer res.Close()
	for res.Next() {
		vals := res.Values()
		f := findings[int(vals[0].(int32))]
		m := map[string]any{}
		for i, col := range res.Columns()[1:] {
			v := vals[i+1]
			if n, ok := finiteNumber(v); ok {
				v = n
			} else if _, isNumber := number(v); isNumber {
				v = fmt.Sprint(v)
			}
			if t, ok := v.(time.Time); ok {
				v = t.UTC().Format(time.RFC3339)
			}
			m[col.Name] = v
		}
		f.Evidence = append(f.Evidence, m)
	}
	return res.Err()
}

// AtOrAbove counts the findings of severity min or higher.
func AtOrAbove(findings []*Finding, min Severity) int {
	n := 0
	for _, f := range findings {
		if f.Severity >= min {
			n++
		}
	}
	return n
}

func decimalFloat(d query.Decimal) float64 {
	if d.Unscaled == nil {
		return 0
	}
	f, _ := new(big.Float).SetInt(d.Unscaled).Float64()
	for i := 0; i < d.Scale; i++ {
		f /= 10
	}
	return f
}
