package report

import (
	"context"
	"fmt"
	"time"

	"github.com/flowq/flowq/detections"
	"github.com/flowq/flowq/query"
)

// egressTablesSQL keeps the accepted egress records to public addresses of
// the day (report_day) and of the baseline (report_baseline). It reads the
// window tables of detections.SetupSQL, so egress means what it means for
// the exfil_* rules: flow_direction is egress, or, when the field is
// missing, a private source sends to a public destination. Records to AWS
// service addresses (pkt_dst_aws_service set) and NODATA/SKIPDATA records
// are left out. s is the record's start in Unix seconds, or its end when
// the start is missing.
const egressTablesSQL = `CREATE OR REPLACE TEMP TABLE report_day AS
SELECT srcaddr, dstaddr, coalesce(bytes, 0) AS bytes, coalesce(packets, 0) AS packets, coalesce(start, "end") AS s
FROM window_flows
WHERE egress AND NOT dst_private AND action = 'ACCEPT' AND pkt_dst_aws_service IS NULL;
CREATE OR REPLACE TEMP TABLE report_baseline AS
SELECT srcaddr, dstaddr, coalesce(bytes, 0) AS bytes, coalesce(packets, 0) AS packets, coalesce(start, "end") AS s
FROM baseline_flows
WHERE egress AND NOT dst_private AND action = 'ACCEPT' AND pkt_dst_aws_service IS NULL`

// EgressTablesSQL returns the statements that build report_day and
// report_baseline from the window tables, for display.
func EgressTablesSQL() string { return egressTablesSQL }

const totalsSQL = `SELECT coalesce(sum(bytes), 0)::BIGINT AS bytes, coalesce(sum(packets), 0)::BIGINT AS packets,
  count(*) AS records, count(DISTINCT srcaddr) AS sources, count(DISTINCT dstaddr) AS destinations,
  (SELECT coalesce(sum(bytes), 0)::BIGINT FROM report_baseline) AS baseline_bytes
FROM report_day`

// endpointSQL returns the query of the top addresses in column addr, with
// the distinct count of column peer and the baseline bytes of the address.
// With onlyNew, it keeps the addresses that the baseline lacks.
func endpointSQL(addr, peer string, limit int, onlyNew bool) string {
	where := ""
	if onlyNew {
		where = "\nWHERE b.address IS NULL"
	}
	return fmt.Sprintf(`WITH day AS (
  SELECT %[1]s AS address, sum(bytes)::BIGINT AS bytes, sum(packets)::BIGINT AS packets, count(DISTINCT %[2]s) AS peers
  FROM report_day GROUP BY 1
), base AS (
  SELECT %[1]s AS address, sum(bytes)::BIGINT AS bytes FROM report_baseline GROUP BY 1
)
SELECT d.address, d.bytes, d.packets, d.peers, coalesce(b.bytes, 0)::BIGINT AS baseline_bytes, b.address IS NULL AS new
FROM day d LEFT JOIN base b USING (address)%[3]s
ORDER BY d.bytes DESC, d.address
LIMIT %[4]d`, addr, peer, where, limit)
}

// TopDestinationsSQL returns the query behind top_destinations.
func TopDestinationsSQL(limit int) string { return endpointSQL("dstaddr", "srcaddr", limit, false) }

// TopSourcesSQL returns the query behind top_sources.
func TopSourcesSQL(limit int) string { return endpointSQL("srcaddr", "dstaddr", limit, false) }

// NewDestinationsSQL returns the query behind new_destinations.top.
func NewDestinationsSQL(limit int) string { return endpointSQL("dstaddr", "srcaddr", limit, true) }

const newDestinationTotalsSQL = `SELECT count(DISTINCT dstaddr), coalesce(sum(bytes), 0)::BIGINT
FROM report_day
WHERE dstaddr NOT IN (SELECT dstaddr FROM report_baseline WHERE dstaddr IS NOT NULL)`

// HourlySQL returns the query behind hourly. A record that starts before
// the day counts in its first hour.
func HourlySQL(day time.Time) string {
	return fmt.Sprintf(`SELECT least((greatest(s, %[1]d) - %[1]d) // 3600, 23)::INTEGER AS hour, sum(bytes)::BIGINT AS bytes
FROM report_day
GROUP BY 1
ORDER BY 1`, day.Unix())
}

// querier runs the report's queries on one session.
type querier struct {
	ctx  context.Context
	conn *query.Conn
}

// scanOne runs sql and scans its single row into dest.
func (q *querier) scanOne(sql string, dest ...any) error {
	rows, err := q.conn.Query(q.ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("query returned no row: %s", sql)
	}
	return rows.Scan(dest...)
}

// checkDay fills Complete, LatestRecord and the baseline's days with data,
// and returns ErrNoData when the day has no record.
func (q *querier) checkDay(rep *Exfil, w detections.Window) error {
	since, until := w.Since.Unix(), w.Until.Unix()
	baselineSince := w.Since.Add(-w.Baseline).Unix()
	var traffic, status, baselineDays int64
	var latest *int64
	sql := fmt.Sprintf(`SELECT (SELECT count(*) FROM window_flows), (SELECT count(*) FROM window_status),
  (SELECT max(coalesce("end", start)) FROM flows WHERE coalesce("end", start) >= %d),
  (SELECT count(DISTINCT greatest(coalesce(start, "end"), %d) // 86400) FROM baseline_flows)`, since, baselineSince)
	if err := q.scanOne(sql, &traffic, &status, &latest, &baselineDays); err != nil {
		return err
	}
	if traffic+status == 0 {
		return fmt.Errorf("%w: %s", ErrNoData, rep.Day)
	}
	if latest != nil {
		rep.LatestRecord = rfc3339(time.Unix(*latest, 0))
		rep.Complete = *latest >= until
	}
	rep.Baseline.DaysWithData = int(baselineDays)
	return nil
}

func (q *querier) totals(rep *Exfil) error {
	t := &rep.Totals
	var baselineBytes int64
	if err := q.scanOne(totalsSQL, &t.EgressBytes, &t.EgressPackets, &t.EgressRecords, &t.Sources, &t.Destinations, &baselineBytes); err != nil {
		return err
	}
	t.BaselineMeanBytes = dailyMean(baselineBytes, rep.Baseline.DaysWithData)
	t.ChangePercent = changePercent(t.EgressBytes, t.BaselineMeanBytes)
	return nil
}

// endpoints runs a query of endpointSQL and returns its rows.
func (q *querier) endpoints(sql string, days int) ([]Endpoint, error) {
	rows, err := q.conn.Query(q.ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []Endpoint{}
	for rows.Next() {
		var e Endpoint
		var baselineBytes int64
		if err := rows.Scan(&e.Address, &e.Bytes, &e.Packets, &e.Peers, &baselineBytes, &e.New); err != nil {
			return nil, err
		}
		e.BaselineMeanBytes = dailyMean(baselineBytes, days)
		e.ChangePercent = changePercent(e.Bytes, e.BaselineMeanBytes)
		list = append(list, e)
	}
	return list, rows.Err()
}

func (q *querier) newDestinations(rep *Exfil, top int) error {
	n := &rep.NewDestinations
	if err := q.scanOne(newDestinationTotalsSQL, &n.Count, &n.Bytes); err != nil {
		return err
	}
	var err error
	n.Top, err = q.endpoints(NewDestinationsSQL(top), rep.Baseline.DaysWithData)
	return err
}

// hourly returns the 24 hours of the day, hours without egress as 0.
func (q *querier) hourly(day time.Time) ([]HourBytes, error) {
	hours := make([]HourBytes, 24)
	for i := range hours {
		hours[i].Hour = rfc3339(day.Add(time.Duration(i) * time.Hour))
	}
	rows, err := q.conn.Query(q.ctx, HourlySQL(day))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var hour int32
		var bytes int64
		if err := rows.Scan(&hour, &bytes); err != nil {
			return nil, err
		}
		hours[hour].Bytes = bytes
	}
	return hours, rows.Err()
}
