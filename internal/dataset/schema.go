package dataset

import "strings"

// Kind is the Parquet type of a column. The kinds follow AWS's own Parquet
// delivery of flow logs, so files from flowq and from AWS agree.
type Kind uint8

const (
	// String is a UTF-8 byte array.
	String Kind = iota
	// Int32 is a signed 32-bit integer: version, ports, protocol, flags.
	Int32
	// Int64 is a signed 64-bit integer: counters and Unix times.
	Int64
	// Bool is a boolean: the address classes that flowq derives.
	Bool
)

func (k Kind) String() string {
	switch k {
	case Int32:
		return "INT32"
	case Int64:
		return "INT64"
	case Bool:
		return "BOOLEAN"
	default:
		return "STRING"
	}
}

// SQLType returns the DuckDB and Athena type name of the kind.
func (k Kind) SQLType() string {
	switch k {
	case Int32:
		return "INTEGER"
	case Int64:
		return "BIGINT"
	case Bool:
		return "BOOLEAN"
	default:
		return "VARCHAR"
	}
}

// Column is one column of a table. Every column is nullable.
type Column struct {
	// Name is the column name: the flow-log field name with '-' replaced by '_'.
	Name string
	// Field is the field name as it appears in a flow-log header line, or ""
	// for columns that flowq adds.
	Field string
	Kind  Kind
	// Version is the flow-log format version that introduced the field.
	Version int
	// Max is the largest valid value of an integer column, or 0 for no limit
	// beyond the type's range. Negative values are never valid.
	Max int64
	// From names the address column that a derived column classifies, or
	// "" for the other columns. Derived columns have no Field.
	From string
}

// IsDerived reports whether flowq computes the column from another one.
func (c Column) IsDerived() bool { return c.From != "" }

// IsProvenance reports whether the column records where a row came from.
func (c Column) IsProvenance() bool { return c.Field == "" && c.From == "" }

// Table is the fixed schema of one table. Files of a table may add string
// columns for header fields that flowq does not know, after these.
type Table struct {
	Name    string
	Columns []Column
	index   map[string]int
}

// Lookup returns the index of the column that holds a header field, or -1.
func (t *Table) Lookup(field string) int {
	if i, ok := t.index[field]; ok {
		return i
	}
	return -1
}

// ColumnIndex returns the index of the named column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// ColumnName turns a header field name into a column name.
func ColumnName(field string) string {
	return strings.ReplaceAll(field, "-", "_")
}

// Provenance columns that flowq appends to every table.
const (
	// ColSourceKey is the key or path of the object the record came from.
	ColSourceKey = "source_key"
	// ColFlowLogID is the flow-log id parsed from the object's name, such as fl-0123456789abcdef0.
	ColFlowLogID = "flow_log_id"
	// ColFileTime is the creation time in the object's name, in Unix seconds.
	ColFileTime = "file_time"
)

func field(name string, kind Kind, version int, max int64) Column {
	return Column{Name: ColumnName(name), Field: name, Kind: kind, Version: version, Max: max}
}

const (
	maxPort     = 65535
	maxProtocol = 255
	maxInt32    = 1<<31 - 1
)

// vpcFields lists every field of VPC flow-log format versions 2 to 8, in the
// order of AWS's field reference.
var vpcFields = []Column{
	field("version", Int32, 2, maxInt32),
	field("account-id", String, 2, 0),
	field("interface-id", String, 2, 0),
	field("srcaddr", String, 2, 0),
	field("dstaddr", String, 2, 0),
	field("srcport", Int32, 2, maxPort),
	field("dstport", Int32, 2, maxPort),
	field("protocol", Int32, 2, maxProtocol),
	field("packets", Int64, 2, 0),
	field("bytes", Int64, 2, 0),
	field("start", Int64, 2, 0),
	field("end", Int64, 2, 0),
	field("action", String, 2, 0),
	field("log-status", String, 2, 0),
	field("vpc-id", String, 3, 0),
	field("subnet-id", String, 3, 0),
	field("instance-id", String, 3, 0),
	field("tcp-flags", Int32, 3, maxInt32),
	field("type", String, 3, 0),
	field("pkt-srcaddr", String, 3, 0),
	field("pkt-dstaddr", String, 3, 0),
	field("region", String, 4, 0),
	field("az-id", String, 4, 0),
	field("sublocation-type", String, 4, 0),
	field("sublocation-id", String, 4, 0),
	field("pkt-src-aws-service", String, 5, 0),
	field("pkt-dst-aws-service", String, 5, 0),
	field("flow-direction", String, 5, 0),
	field("traffic-path", Int32, 5, maxInt32),
	field("ecs-cluster-arn", String, 7, 0),
	field("ecs-cluster-name", String, 7, 0),
	field("ecs-container-instance-arn", String, 7, 0),
	field("ecs-container-instance-id", String, 7, 0),
	field("ecs-container-id", String, 7, 0),
	field("ecs-second-container-id", String, 7, 0),
	field("ecs-service-name", String, 7, 0),
	field("ecs-task-definition-arn", String, 7, 0),
	field("ecs-task-arn", String, 7, 0),
	field("ecs-task-id", String, 7, 0),
	field("reject-reason", String, 8, 0),
}

// tgwFields lists every field of Transit Gateway flow logs.
var tgwFields = []Column{
	field("version", Int32, 2, maxInt32),
	field("resource-type", String, 2, 0),
	field("account-id", String, 2, 0),
	field("tgw-id", String, 2, 0),
	field("tgw-attachment-id", String, 2, 0),
	field("tgw-src-vpc-account-id", String, 2, 0),
	field("tgw-dst-vpc-account-id", String, 2, 0),
	field("tgw-src-vpc-id", String, 2, 0),
	field("tgw-dst-vpc-id", String, 2, 0),
	field("tgw-src-subnet-id", String, 2, 0),
	field("tgw-dst-subnet-id", String, 2, 0),
	field("tgw-src-eni", String, 2, 0),
	field("tgw-dst-eni", String, 2, 0),
	field("tgw-src-az-id", String, 2, 0),
	field("tgw-dst-az-id", String, 2, 0),
	field("tgw-pair-attachment-id", String, 6, 0),
	field("srcaddr", String, 2, 0),
	field("dstaddr", String, 2, 0),
	field("srcport", Int32, 2, maxPort),
	field("dstport", Int32, 2, maxPort),
	field("protocol", Int32, 2, maxProtocol),
	field("packets", Int64, 2, 0),
	field("bytes", Int64, 2, 0),
	field("start", Int64, 2, 0),
	field("end", Int64, 2, 0),
	field("log-status", String, 2, 0),
	field("type", String, 2, 0),
	field("packets-lost-no-route", Int64, 6, 0),
	field("packets-lost-blackhole", Int64, 6, 0),
	field("packets-lost-mtu-exceeded", Int64, 6, 0),
	field("packets-lost-ttl-expired", Int64, 6, 0),
	field("tcp-flags", Int32, 2, maxInt32),
	field("region", String, 2, 0),
	field("flow-direction", String, 2, 0),
	field("pkt-src-aws-service", String, 2, 0),
	field("pkt-dst-aws-service", String, 2, 0),
}

// Derived columns that flowq appends to both tables, before provenance.
// Each holds IsPrivate of its address column, NULL where the address is
// NULL or not an IP address. They let a query select traffic between
// private and public addresses without parsing text on every row.
const (
	ColSrcPrivate = "src_private"
	ColDstPrivate = "dst_private"
)

var derived = []Column{
	{Name: ColSrcPrivate, Kind: Bool, From: "srcaddr"},
	{Name: ColDstPrivate, Kind: Bool, From: "dstaddr"},
}

var provenance = []Column{
	{Name: ColSourceKey, Kind: String},
	{Name: ColFlowLogID, Kind: String},
	{Name: ColFileTime, Kind: Int64},
}

func newTable(name string, fields []Column) *Table {
	t := &Table{Name: name, index: map[string]int{}}
	t.Columns = append(append(append(t.Columns, fields...), derived...), provenance...)
	for i, c := range t.Columns {
		if c.Field != "" {
			t.index[c.Field] = i
		}
	}
	return t
}

// Flows and TGWFlows are the schemas of the two tables.
var (
	Flows    = newTable(FlowsTable, vpcFields)
	TGWFlows = newTable(TGWFlowsTable, tgwFields)
)

// tgwOnly holds header fields that only Transit Gateway logs carry.
var tgwOnly = map[string]bool{}

func init() {
	for _, c := range tgwFields {
		if Flows.Lookup(c.Field) < 0 {
			tgwOnly[c.Field] = true
		}
	}
}

// TableForHeader picks the table for a header line's fields: TGWFlows when
// any field exists only in Transit Gateway logs, Flows otherwise.
func TableForHeader(fields []string) *Table {
	for _, f := range fields {
		if tgwOnly[f] {
			return TGWFlows
		}
	}
	return Flows
}

// IsKnownField reports whether a header field belongs to either table.
func IsKnownField(f string) bool {
	return Flows.Lookup(f) >= 0 || TGWFlows.Lookup(f) >= 0
}

// Tables lists every table, in the order the dataset documents them.
var Tables = []*Table{Flows, TGWFlows}
