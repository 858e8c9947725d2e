package sample

import (
	"math/bits"
	"net/netip"
	"sort"
	"time"

	"github.com/flowq/flowq/internal/dataset"
)

// Truth is the account of an archive that Generate kept record by record
// while it formatted the lines. A converter's output can be checked against
// it without parsing the archive again. The JSON field names are stable.
type Truth struct {
	Start time.Time `json:"start"`
	Days  int       `json:"days"`
	Seed  int64     `json:"seed"`
	// Tables is keyed by dataset table name: "flows" for VPC flow logs and
	// "tgw_flows" for Transit Gateway flow logs. Both are always present.
	Tables map[string]*TableTruth `json:"tables"`
	// FlowLogObjects counts the objects holding flow-log records;
	// OtherObjects counts the rest (a CloudTrail log, a folder marker).
	FlowLogObjects int `json:"flow_log_objects"`
	OtherObjects   int `json:"other_objects"`
	// CompressedBytes is the size of all objects; UncompressedBytes is the
	// size of the flow-log text before gzip.
	CompressedBytes   int64      `json:"compressed_bytes"`
	UncompressedBytes int64      `json:"uncompressed_bytes"`
	FlowLogs          []FlowLog  `json:"flow_logs"`
	Incidents         []Incident `json:"incidents"`
	// Objects lists every object in the order it was written.
	Objects []Object `json:"objects"`
}

// TableTruth counts the records of one table.
type TableTruth struct {
	Records int64 `json:"records"`
	// Bytes and Packets are sums over the records whose field is not '-'.
	Bytes   int64 `json:"bytes"`
	Packets int64 `json:"packets"`
	// LogStatus counts records by log-status: OK, NODATA and SKIPDATA.
	LogStatus map[string]int64 `json:"log_status"`
	// Action counts records by action, ACCEPT and REJECT. Records whose
	// action is '-' (NODATA, SKIPDATA) and Transit Gateway records, which
	// have no action field, are not counted.
	Action map[string]int64 `json:"action"`
	// Days counts records by the UTC date (YYYY-MM-DD) of their start.
	Days map[string]int64 `json:"days"`
}

// FlowLog describes one flow log of the archive.
type FlowLog struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	Region    string `json:"region"`
	Table     string `json:"table"`
	// Fields is the header line's field list, in order.
	Fields        []string `json:"fields"`
	Version       int      `json:"version"`
	WindowSeconds int      `json:"window_seconds"`
	Layout        string   `json:"layout"`
	Objects       int      `json:"objects"`
	Records       int64    `json:"records"`
	// MaxStartLeadSeconds is the largest amount by which a record's start
	// precedes the time in its object's name.
	MaxStartLeadSeconds int64 `json:"max_start_lead_seconds"`
}

// Object is one object written.
type Object struct {
	Key string `json:"key"`
	// Table is "" for objects that are not flow logs.
	Table     string `json:"table"`
	FlowLogID string `json:"flow_log_id"`
	Records   int64  `json:"records"`
	Size      int64  `json:"size"`
}

// Incident is one embedded incident with the exact numbers written.
// Forward records go from one of SrcAddrs to DstAddr, the direction the
// incident is about; reply records go back. All of them were logged by the
// ENI InterfaceID of InstanceID.
type Incident struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	FlowLogID   string   `json:"flow_log_id"`
	AccountID   string   `json:"account_id"`
	Region      string   `json:"region"`
	InstanceID  string   `json:"instance_id"`
	InterfaceID string   `json:"interface_id"`
	SrcAddrs    []string `json:"src_addrs"`
	DstAddr     string   `json:"dst_addr"`
	Protocol    int      `json:"protocol"`
	// DstPort is 0 when the incident uses many destination ports.
	DstPort int `json:"dst_port"`
	// Direction is the flow-direction of the forward records: ingress
	// when the instance is the target, egress when it is the sender.
	Direction string `json:"direction"`
	// Start is the earliest start and End the latest end of the forward
	// records.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Conversations counts the connections or probes made.
	Conversations    int64 `json:"conversations"`
	Records          int64 `json:"records"`
	Packets          int64 `json:"packets"`
	Bytes            int64 `json:"bytes"`
	Accepted         int64 `json:"accepted"`
	Rejected         int64 `json:"rejected"`
	DistinctSrcAddrs int   `json:"distinct_src_addrs"`
	DistinctDstPorts int   `json:"distinct_dst_ports"`
	ReplyRecords     int64 `json:"reply_records"`
	ReplyPackets     int64 `json:"reply_packets"`
	ReplyBytes       int64 `json:"reply_bytes"`
}

// Records returns the number of records in all tables.
func (t *Truth) Records() int64 {
	var n int64
	for _, tt := range t.Tables {
		n += tt.Records
	}
	return n
}

// Incident returns the incident with the given name, or nil.
func (t *Truth) Incident(name string) *Incident {
	for i := range t.Incidents {
		if t.Incidents[i].Name == name {
			return &t.Incidents[i]
		}
	}
	return nil
}

// Table indices in counts.
const (
	tableFlows = iota
	tableTGW
	tableCount
)

var tableNames = [tableCount]string{dataset.FlowsTable, dataset.TGWFlowsTable}

// counts is the running tally of one table while objects are generated.
type counts struct {
	records  int64
	bytes    int64
	packets  int64
	status   [statusCount]int64
	accepted int64
	rejected int64
	days     []int64
}

// incidentCounts is the running tally of one incident.
type incidentCounts struct {
	records, packets, bytes    int64
	accepted, rejected         int64
	replyRecords, replyPackets int64
	replyBytes                 int64
	start, end                 int64
	ports                      *[1024]uint64 // bit set of destination ports
	sources                    map[netip.Addr]struct{}
}

// tally is the running count of the records of one job or of the whole run.
type tally struct {
	tables    [tableCount]counts
	incidents []incidentCounts
	maxLead   [flowLogCount]int64
}

func newTally(days, incidents int) *tally {
	t := &tally{incidents: make([]incidentCounts, incidents)}
	for i := range t.tables {
		t.tables[i].days = make([]int64, days)
	}
	for i := range t.incidents {
		t.incidents[i].start = -1
	}
	return t
}

func (t *tally) merge(o *tally) {
	for i := range t.tables {
		a, b := &t.tables[i], &o.tables[i]
		a.records += b.records
		a.bytes += b.bytes
		a.packets += b.packets
		for s := range a.status {
			a.status[s] += b.status[s]
		}
		a.accepted += b.accepted
		a.rejected += b.rejected
		for d := range a.days {
			a.days[d] += b.days[d]
		}
	}
	for i := range t.incidents {
		a, b := &t.incidents[i], &o.incidents[i]
		if b.records == 0 && b.replyRecords == 0 {
			continue
		}
		a.records += b.records
		a.packets += b.packets
		a.bytes += b.bytes
		a.accepted += b.accepted
		a.rejected += b.rejected
		a.replyRecords += b.replyRecords
		a.replyPackets += b.replyPackets
		a.replyBytes += b.replyBytes
		if b.start >= 0 && (a.start < 0 || b.start < a.start) {
			a.start = b.start
		}
		a.end = max(a.end, b.end)
		if b.ports != nil {
			if a.ports == nil {
				a.ports = new([1024]uint64)
			}
			for w := range a.ports {
				a.ports[w] |= b.ports[w]
			}
		}
		for s := range b.sources {
			if a.sources == nil {
				a.sources = map[netip.Addr]struct{}{}
			}
			a.sources[s] = struct{}{}
		}
	}
	for i := range t.maxLead {
		t.maxLead[i] = max(t.maxLead[i], o.maxLead[i])
	}
}

// addIncident counts one incident record.
func (t *tally) addIncident(c *conv, l *leg, start, end, packets, bytes int64) {
	ic := &t.incidents[c.incident]
	if l.reverse {
		ic.replyRecords++
		ic.replyPackets += packets
		ic.replyBytes += bytes
		return
	}
	ic.records++
	ic.packets += packets
	ic.bytes += bytes
	if l.reject {
		ic.rejected++
	} else {
		ic.accepted++
	}
	if ic.start < 0 || start < ic.start {
		ic.start = start
	}
	ic.end = max(ic.end, end)
	if ic.ports == nil {
		ic.ports = new([1024]uint64)
	}
	ic.ports[l.dstPort/64] |= 1 << (l.dstPort % 64)
	if ic.sources == nil {
		ic.sources = map[netip.Addr]struct{}{}
	}
	ic.sources[l.src] = struct{}{}
}

// newTruth returns the Truth of an archive before any object is written.
func (g *generator) newTruth() *Truth {
	t := &Truth{Start: time.Unix(g.start, 0).UTC(), Days: g.opt.Days, Seed: g.opt.Seed, Tables: map[string]*TableTruth{}}
	for _, fl := range g.flowLogs {
		names := make([]string, len(fl.fields))
		for i, f := range fl.fields {
			names[i] = fieldInfo[f].name
		}
		t.FlowLogs = append(t.FlowLogs, FlowLog{
			ID: fl.id, AccountID: fl.account, Region: fl.region, Table: fl.table,
			Fields: names, Version: formatVersion(fl.fields), WindowSeconds: int(fl.window),
			Layout: fl.layout.String(),
		})
	}
	return t
}

// finish copies the run's tally into the Truth.
func (g *generator) finish(t *Truth, run *tally) {
	for i, name := range tableNames {
		c := &run.tables[i]
		tt := &TableTruth{
			Records: c.records, Bytes: c.bytes, Packets: c.packets,
			LogStatus: map[string]int64{}, Action: map[string]int64{}, Days: map[string]int64{},
		}
		for s, n := range c.status {
			tt.LogStatus[statusNames[s]] = n
		}
		if i == tableFlows {
			tt.Action["ACCEPT"] = c.accepted
			tt.Action["REJECT"] = c.rejected
		}
		for d, n := range c.days {
			tt.Days[time.Unix(g.start+int64(d)*86400, 0).UTC().Format(dataset.DateLayout)] = n
		}
		t.Tables[name] = tt
	}
	for i := range t.FlowLogs {
		t.FlowLogs[i].MaxStartLeadSeconds = run.maxLead[i]
	}
	for i, spec := range g.incidents {
		ic := &run.incidents[i]
		o := g.est.observers[spec.instance]
		srcs := make([]string, len(spec.srcAddrs))
		for j, a := range spec.srcAddrs {
			srcs[j] = a.String()
		}
		distinctPorts := 0
		if ic.ports != nil {
			for _, w := range ic.ports {
				distinctPorts += bits.OnesCount64(w)
			}
		}
		inc := Incident{
			Name: spec.name, Description: spec.description,
			FlowLogID: g.flowLogs[spec.flowLog].id, AccountID: o.account, Region: o.region,
			InstanceID: o.instance, InterfaceID: o.eni,
			SrcAddrs: srcs, DstAddr: spec.dstAddr.String(), Protocol: int(spec.proto), DstPort: int(spec.dstPort),
			Direction:     spec.direction,
			Conversations: int64(len(spec.convs)),
			Records:       ic.records, Packets: ic.packets, Bytes: ic.bytes,
			Accepted: ic.accepted, Rejected: ic.rejected,
			DistinctSrcAddrs: len(ic.sources), DistinctDstPorts: distinctPorts,
			ReplyRecords: ic.replyRecords, ReplyPackets: ic.replyPackets, ReplyBytes: ic.replyBytes,
		}
		if ic.start >= 0 {
			inc.Start = time.Unix(ic.start, 0).UTC()
			inc.End = time.Unix(ic.end, 0).UTC()
		}
		t.Incidents = append(t.Incidents, inc)
	}
	sort.SliceStable(t.Incidents, func(i, j int) bool { return t.Incidents[i].Start.Before(t.Incidents[j].Start) })
}
