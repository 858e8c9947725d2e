package detections

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// FindingJSON is the stable JSON form of a finding, one object a line in
// --format json. docs/detections.md documents the fields.
type FindingJSON struct {
	UID         string            `json:"uid"`
	Rule        string            `json:"rule"`
	Title       string            `json:"title"`
	Severity    Severity          `json:"severity"`
	Attack      []Attack          `json:"attack"`
	EntityType  string            `json:"entity_type"`
	Entity      string            `json:"entity"`
	FirstSeen   string            `json:"first_seen"`
	LastSeen    string            `json:"last_seen"`
	WindowStart string            `json:"window_start"`
	WindowEnd   string            `json:"window_end"`
	SrcAddr     string            `json:"src_addr,omitempty"`
	DstAddr     string            `json:"dst_addr,omitempty"`
	DstPort     *int              `json:"dst_port,omitempty"`
	Protocol    *int              `json:"protocol,omitempty"`
	InterfaceID string            `json:"interface_id,omitempty"`
	Counts      map[string]any    `json:"counts"`
	Details     map[string]string `json:"details,omitempty"`
	Evidence    []map[string]any  `json:"evidence"`
	SQL         string            `json:"sql"`
}

func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// JSON returns the finding's JSON form.
func (f *Finding) JSON() FindingJSON {
	attack := f.Attack
	if attack == nil {
		attack = []Attack{}
	}
	evidence := f.Evidence
	if evidence == nil {
		evidence = []map[string]any{}
	}
	return FindingJSON{
		UID: f.UID, Rule: f.RuleID, Title: f.Title, Severity: f.Severity, Attack: attack,
		EntityType: f.EntityType, Entity: f.Entity, FirstSeen: timeText(f.FirstSeen), LastSeen: timeText(f.LastSeen),
		WindowStart: timeText(f.WindowStart), WindowEnd: timeText(f.WindowEnd),
		SrcAddr: f.SrcAddr, DstAddr: f.DstAddr, DstPort: f.DstPort, Protocol: f.Protocol, InterfaceID: f.InterfaceID,
		Counts: f.Counts, Details: f.Details, Evidence: evidence, SQL: f.SQL,
	}
}

// WriteJSON writes one JSON object a line.
func WriteJSON(w io.Writer, findings []*Finding) error {
	enc := json.NewEncoder(w)
	// Entities read "a -> b", not "a -\u003e b", so grep finds them.
	enc.SetEscapeHTML(false)
	for _, f := range findings {
		if err := enc.Encode(f.JSON()); err != nil {
			return err
		}
	}
	return nil
}

// WriteOCSF writes one OCSF Detection Finding (class_uid 2004) a line.
func WriteOCSF(w io.Writer, findings []*Finding, version string) error {
	enc := json.NewEncoder(w)
	// Entities read "a -> b", not "a -\u003e b", so grep finds them.
	enc.SetEscapeHTML(false)
	for _, f := range findings {
		if err := enc.Encode(f.OCSF(version)); err != nil {
			return err
		}
	}
	return nil
}

// OCSF returns the finding as an OCSF Detection Finding event. version is
// flowq's version for metadata.product.
func (f *Finding) OCSF(version string) map[string]any {
	attacks := make([]map[string]any, 0, len(f.Attack))
	for _, a := range f.Attack {
		attacks = append(attacks, map[string]any{
			"tactic":    map[string]any{"uid": a.Tactic},
			"technique": map[string]any{"uid": a.Technique},
		})
	}
	evidences := make([]map[string]any, 0, len(f.Evidence))
	for _, e := range f.Evidence {
		ev := map[string]any{
			"src_endpoint":    map[string]any{"ip": e["srcaddr"], "port": e["srcport"], "interface_uid": e["interface_id"]},
			"dst_endpoint":    map[string]any{"ip": e["dstaddr"], "port": e["dstport"]},
			"connection_info": ocsfConnection(e),
			"data":            e,
		}
		evidences = append(evidences, ev)
	}
	if len(evidences) == 0 {
		ev := map[string]any{}
		if f.SrcAddr != "" {
			ev["src_endpoint"] = map[string]any{"ip": f.SrcAddr}
		}
		if f.DstAddr != "" {
			dst := map[string]any{"ip": f.DstAddr}
			if f.DstPort != nil {
				dst["port"] = *f.DstPort
			}
			ev["dst_endpoint"] = dst
		}
		if len(ev) > 0 {
			evidences = append(evidences, ev)
		}
	}
	product := map[string]any{"name": "flowq", "vendor_name": "flowq"}
	if version != "" {
		product["version"] = version
	}
	return map[string]any{
		"class_uid":     2004,
		"class_name":    "Detection Finding",
		"category_uid":  2,
		"category_name": "Findings",
		"activity_id":   1,
		"activity_name": "Create",
		"type_uid":      200401,
		"severity_id":   int(f.Severity),
		"severity":      ocsfSeverityName[f.Severity],
		"status_id":     1,
		"status":        "New",
		"time":          f.LastSeen.UnixMilli(),
		"is_alert":      true,
		"message":       f.Title + ": " + f.Entity,
		"finding_info": map[string]any{
			"uid":             f.UID,
			"title":           f.Title,
			"desc":            f.Description,
			"types":           []string{f.RuleID},
			"analytic":        map[string]any{"uid": f.RuleID, "name": f.Title, "type_id": 1, "type": "Rule"},
			"attacks":         attacks,
			"first_seen_time": f.FirstSeen.UnixMilli(),
			"last_seen_time":  f.LastSeen.UnixMilli(),
		},
		"evidences": evidences,
		"unmapped":  map[string]any{"entity": f.Entity, "entity_type": f.EntityType, "counts": f.Counts, "sql": f.SQL},
		"metadata": map[string]any{
			"version": "1.4.0",
			"product": product,
		},
	}
}

// ocsfConnection returns the OCSF network connection info of an evidence
// record. A flow log's direction is relative to its interface: ingress is
// Inbound (direction_id 1), egress is Outbound (2), and a record without
// it is Unknown (0).
func ocsfConnection(e map[string]any) map[string]any {
	id, name := 0, "Unknown"
	switch e["flow_direction"] {
	case "ingress":
		id, name = 1, "Inbound"
	case "egress":
		id, name = 2, "Outbound"
	}
	return map[string]any{"protocol_num": e["protocol"], "direction_id": id, "direction": name}
}

var ocsfSeverityName = map[Severity]string{
	SeverityInfo: "Informational", SeverityLow: "Low", SeverityMedium: "Medium",
	SeverityHigh: "High", SeverityCritical: "Critical",
}

// WriteTable writes the findings as an aligned text table.
func WriteTable(w io.Writer, findings []*Finding) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tRULE\tENTITY\tFIRST SEEN\tLAST SEEN\tCOUNTS")
	for _, f := range findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Severity, f.RuleID, f.Entity,
			timeText(f.FirstSeen), timeText(f.LastSeen), formatCounts(f.Counts))
	}
	return tw.Flush()
}

func formatCounts(counts map[string]any) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := counts[k]
		if f, ok := v.(float64); ok {
			parts[i] = k + "=" + tableFloat(f)
		} else {
			parts[i] = fmt.Sprintf("%s=%v", k, v)
		}
	}
	return strings.Join(parts, " ")
}

// tableFloat returns a count as plain decimals, as JSON has it: 19704, not
// 1.97e+04, with two decimals for a fraction such as 12.35 and three
// significant digits below 0.01, such as 0.000123.
func tableFloat(f float64) string {
	if f == math.Trunc(f) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	decimals := 2
	if math.Abs(f) < 0.01 {
		// A small fraction keeps three significant digits: 0.000123.
		decimals = int(-math.Floor(math.Log10(math.Abs(f)))) + 2
	}
	text := strconv.FormatFloat(f, 'f', decimals, 64)
	return strings.TrimRight(strings.TrimRight(text, "0"), ".")
}
