// Package report builds flowq's scheduled reports from a dataset and writes
// them as JSON and as one self-contained HTML page.
//
// The exfiltration report (BuildExfil) covers one UTC day against a
// trailing baseline: egress bytes to the internet, the top destinations
// and sources with their change against the baseline's daily mean, the
// destinations that the baseline never saw, the bytes of each hour, and the
// findings of the exfil_* rules of the built-in detection pack. The same
// dataset and options always give the same JSON and HTML bytes: the report
// records no generation time, and every list has a total order.
// docs/report.md documents the JSON fields.
package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/flowq/flowq/detections"
	"github.com/flowq/flowq/query"
)

// SchemaVersion is the version of the report's JSON form. It changes when a
// field is removed or changes meaning, not when a field is added.
const SchemaVersion = 1

// DefaultTop is the number of destinations, sources and new destinations
// that a report lists when ExfilOptions.Top is 0.
const DefaultTop = 10

// ErrNoData is returned by BuildExfil when the dataset holds no record of
// the day, or no partition of the report's range, or is missing.
var ErrNoData = errors.New("no flow records on the report day")

// ExfilRulePrefix selects the rules of the built-in pack that a report runs.
const ExfilRulePrefix = "exfil_"

// ExfilOptions configures an exfiltration report.
type ExfilOptions struct {
	// Day is the report's UTC day. Any time of the day selects it.
	Day time.Time
	// Baseline is the history before the day that the report compares
	// against. It must be positive.
	Baseline time.Duration
	// Top is the length of the lists of destinations, sources and new
	// destinations. Default DefaultTop.
	Top int
}

// Exfil is the exfiltration report of one day, in its JSON form.
type Exfil struct {
	SchemaVersion int    `json:"schema_version"`
	Report        string `json:"report"`
	// Day is the UTC day as YYYY-MM-DD.
	Day      string        `json:"day"`
	Window   TimeRange     `json:"window"`
	Baseline BaselineRange `json:"baseline"`
	// Top is the maximum length of the lists of addresses.
	Top int `json:"top"`
	// Complete is false when the dataset's latest record ends before the
	// end of the day, so later records of the day may still arrive.
	Complete bool `json:"complete"`
	// LatestRecord is the end of the latest record that the dataset holds
	// up to one hour after the day, in RFC 3339.
	LatestRecord    string      `json:"latest_record"`
	Totals          Totals      `json:"totals"`
	TopDestinations []Endpoint  `json:"top_destinations"`
	TopSources      []Endpoint  `json:"top_sources"`
	NewDestinations NewPeers    `json:"new_destinations"`
	Hourly          []HourBytes `json:"hourly"`
	Rules           []string    `json:"rules"`
	Findings        []Finding   `json:"findings"`
	RuleErrors      []string    `json:"rule_errors"`
}

// TimeRange is a half-open range [since, until) in RFC 3339, UTC.
type TimeRange struct {
	Since string `json:"since"`
	Until string `json:"until"`
}

// BaselineRange is the baseline history and how much of it has data.
type BaselineRange struct {
	TimeRange
	// Days is the length of the range in days, fractions included.
	Days float64 `json:"days"`
	// DaysWithData counts the UTC days of the range with at least one
	// traffic record. Daily means divide by it.
	DaysWithData int `json:"days_with_data"`
}

// Totals are the day's egress to the internet and its baseline comparison.
type Totals struct {
	EgressBytes   int64 `json:"egress_bytes"`
	EgressPackets int64 `json:"egress_packets"`
	EgressRecords int64 `json:"egress_records"`
	Sources       int64 `json:"sources"`
	Destinations  int64 `json:"destinations"`
	// BaselineMeanBytes is the baseline's egress bytes divided by its days
	// with data, rounded to a whole byte; 0 without baseline data.
	BaselineMeanBytes int64 `json:"baseline_mean_bytes"`
	// ChangePercent is the day's bytes against BaselineMeanBytes, in
	// percent rounded to 0.1, or null when the mean is 0.
	ChangePercent *float64 `json:"change_percent"`
}

// Endpoint is one destination or source address with its day and
// baseline bytes.
type Endpoint struct {
	Address string `json:"address"`
	Bytes   int64  `json:"bytes"`
	Packets int64  `json:"packets"`
	// Peers counts the distinct sources of a destination, or the distinct
	// destinations of a source, on the day.
	Peers             int64    `json:"peers"`
	BaselineMeanBytes int64    `json:"baseline_mean_bytes"`
	ChangePercent     *float64 `json:"change_percent"`
	// New is true when the baseline has no egress record of the address.
	New bool `json:"new"`
}

// NewPeers lists the day's destinations that the baseline never saw.
type NewPeers struct {
	// Count and Bytes cover every new destination, also those beyond Top.
	Count int64      `json:"count"`
	Bytes int64      `json:"bytes"`
	Top   []Endpoint `json:"top"`
}

// HourBytes is the egress of one hour of the day.
type HourBytes struct {
	// Hour is the hour's start in RFC 3339.
	Hour  string `json:"hour"`
	Bytes int64  `json:"bytes"`
}

// Finding is one finding of an exfil_* rule, without the evidence rows
// and SQL of flowq detect's JSON.
type Finding struct {
	UID        string              `json:"uid"`
	Rule       string              `json:"rule"`
	Title      string              `json:"title"`
	Severity   detections.Severity `json:"severity"`
	EntityType string              `json:"entity_type"`
	Entity     string              `json:"entity"`
	FirstSeen  string              `json:"first_seen"`
	LastSeen   string              `json:"last_seen"`
	SrcAddr    string              `json:"src_addr,omitempty"`
	DstAddr    string              `json:"dst_addr,omitempty"`
	Counts     map[string]any      `json:"counts"`
}

// day returns the report's day at midnight UTC.
func (o ExfilOptions) day() time.Time {
	d := o.Day.UTC()
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// DataRange returns the range to open the query engine with: from the
// start of the baseline to one query.RecordSpan after the day, so that
// BuildExfil can tell whether records after the day have arrived.
func (o ExfilOptions) DataRange() (since, until time.Time) {
	day := o.day()
	return day.Add(-o.Baseline), day.AddDate(0, 0, 1).Add(query.RecordSpan)
}

// Window returns the detection window of the report: the day and the
// baseline before it.
func (o ExfilOptions) Window() detections.Window {
	day := o.day()
	return detections.Window{Since: day, Until: day.AddDate(0, 0, 1), Baseline: o.Baseline}
}

// BuildExfil computes the exfiltration report of o.Day over engine, which
// must be opened with the range that o.DataRange returns. It returns
// ErrNoData when the day has no record at all, traffic or NODATA/SKIPDATA.
// A rule that fails is listed in RuleErrors and the report is still built.
func BuildExfil(ctx context.Context, engine *query.Engine, o ExfilOptions) (*Exfil, error) {
	if o.Baseline <= 0 {
		return nil, fmt.Errorf("invalid baseline %s: give a positive duration", o.Baseline)
	}
	if o.Top <= 0 {
		o.Top = DefaultTop
	}
	w := o.Window()
	rep := &Exfil{
		SchemaVersion: SchemaVersion,
		Report:        "exfil",
		Day:           w.Since.Format(time.DateOnly),
		Top:           o.Top,
		Window:        timeRange(w.Since, w.Until),
		Baseline: BaselineRange{
			TimeRange: timeRange(w.Since.Add(-w.Baseline), w.Since),
			Days:      math.Round(w.Baseline.Hours()/24*1000) / 1000,
		},
	}

	conn, err := engine.Conn()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.Exec(ctx, detections.SetupSQL(w, true)+";\n"+egressTablesSQL); err != nil {
		if query.KindOf(err) == query.KindNoData {
			// The range selects no partition, or the dataset is missing.
			return nil, fmt.Errorf("%w: %s: %w", ErrNoData, rep.Day, err)
		}
		return nil, err
	}
	q := &querier{ctx: ctx, conn: conn}
	if err := q.checkDay(rep, w); err != nil {
		return nil, err
	}
	if err := q.totals(rep); err != nil {
		return nil, err
	}
	days := rep.Baseline.DaysWithData
	if rep.TopDestinations, err = q.endpoints(TopDestinationsSQL(o.Top), days); err != nil {
		return nil, err
	}
	if rep.TopSources, err = q.endpoints(TopSourcesSQL(o.Top), days); err != nil {
		return nil, err
	}
	if err := q.newDestinations(rep, o.Top); err != nil {
		return nil, err
	}
	if rep.Hourly, err = q.hourly(w.Since); err != nil {
		return nil, err
	}
	if err := runRules(ctx, engine, w, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// runRules runs the exfil_* rules of the built-in pack over the day and
// baseline and adds their findings to rep.
func runRules(ctx context.Context, engine *query.Engine, w detections.Window, rep *Exfil) error {
	pack, err := detections.BuiltinPack()
	if err != nil {
		return err
	}
	var rules []*detections.Rule
	for _, r := range pack {
		if strings.HasPrefix(r.ID, ExfilRulePrefix) {
			rules = append(rules, r)
			rep.Rules = append(rep.Rules, r.ID)
		}
	}
	res, err := detections.Run(ctx, engine, rules, detections.Config{Window: w})
	if err != nil {
		return err
	}
	rep.Findings = []Finding{}
	for _, f := range res.Findings {
		rep.Findings = append(rep.Findings, findingOf(f))
	}
	rep.RuleErrors = []string{}
	for _, e := range res.Errors {
		rep.RuleErrors = append(rep.RuleErrors, e.Error())
	}
	return nil
}

func findingOf(f *detections.Finding) Finding {
	counts := f.Counts
	if counts == nil {
		counts = map[string]any{}
	}
	return Finding{
		UID: f.UID, Rule: f.RuleID, Title: f.Title, Severity: f.Severity,
		EntityType: f.EntityType, Entity: f.Entity,
		FirstSeen: rfc3339(f.FirstSeen), LastSeen: rfc3339(f.LastSeen),
		SrcAddr: f.SrcAddr, DstAddr: f.DstAddr, Counts: counts,
	}
}

func timeRange(since, until time.Time) TimeRange {
	return TimeRange{Since: rfc3339(since), Until: rfc3339(until)}
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// dailyMean divides baseline bytes by the days with data, rounded.
func dailyMean(bytes int64, days int) int64 {
	if days <= 0 {
		return 0
	}
	return int64(math.Round(float64(bytes) / float64(days)))
}

// changePercent returns the change of value against mean in percent,
// rounded to 0.1, or nil when mean is 0.
func changePercent(value, mean int64) *float64 {
	if mean == 0 {
		return nil
	}
	p := math.Round((float64(value)-float64(mean))/float64(mean)*1000) / 10
	return &p
}

// WriteJSON writes rep as indented JSON with a final newline.
func WriteJSON(w io.Writer, rep *Exfil) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
