package query

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unsafe"

	bindings "github.com/duckdb/duckdb-go-bindings"
)

// The values that Rows.Values returns, by DuckDB type:
//
//	BOOLEAN                          bool
//	TINYINT … BIGINT                 int8, int16, int32, int64
//	UTINYINT … UBIGINT               uint8, uint16, uint32, uint64
//	HUGEINT, UHUGEINT                *big.Int
//	FLOAT, DOUBLE                    float32, float64
//	DECIMAL                          Decimal
//	VARCHAR, ENUM, JSON              string
//	BLOB                             []byte
//	UUID                             string (8-4-4-4-12 hex digits)
//	DATE                             time.Time at midnight UTC
//	TIME                             string (15:04:05.999999)
//	TIMESTAMP, TIMESTAMPTZ (any unit) time.Time in UTC
//	INTERVAL                         Interval
//	LIST, ARRAY                      []any
//	STRUCT                           Struct
//	MAP                              Map
//	NULL of any type                 nil

// Decimal is a DECIMAL value: Unscaled × 10^-Scale.
type Decimal struct {
	Unscaled *big.Int
	Scale    int
}

// String formats the decimal in plain notation with Scale digits after the
// point, such as "-12.50".
func (d Decimal) String() string {
	s := new(big.Int).Abs(d.Unscaled).String()
	sign := ""
	if d.Unscaled.Sign() < 0 {
		sign = "-"
	}
	if d.Scale <= 0 {
		return sign + s
	}
	if len(s) <= d.Scale {
		s = strings.Repeat("0", d.Scale-len(s)+1) + s
	}
	return sign + s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
}

// Interval is an INTERVAL value. DuckDB keeps months, days and microseconds
// apart because their lengths vary.
type Interval struct {
	Months int32
	Days   int32
	Micros int64
}

// String formats the interval as an ISO 8601 duration, such as "P1M2DT3.5S".
func (iv Interval) String() string {
	if iv == (Interval{}) {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteByte('P')
	if y, m := iv.Months/12, iv.Months%12; y != 0 || m != 0 {
		if y != 0 {
			fmt.Fprintf(&b, "%dY", y)
		}
		if m != 0 {
			fmt.Fprintf(&b, "%dM", m)
		}
	}
	if iv.Days != 0 {
		fmt.Fprintf(&b, "%dD", iv.Days)
	}
	if iv.Micros != 0 {
		b.WriteByte('T')
		us := iv.Micros
		if us < 0 {
			b.WriteByte('-')
			us = -us
		}
		h, m := us/3_600_000_000, us/60_000_000%60
		secs := float64(us%60_000_000) / 1e6
		if h != 0 {
			fmt.Fprintf(&b, "%dH", h)
		}
		if m != 0 {
			fmt.Fprintf(&b, "%dM", m)
		}
		if secs != 0 {
			b.WriteString(strconv.FormatFloat(secs, 'f', -1, 64) + "S")
		}
	}
	return b.String()
}

// Field is one field of a STRUCT value.
type Field struct {
	Name  string
	Value any
}

// Struct is a STRUCT value, its fields in declaration order.
type Struct []Field

// MapEntry is one entry of a MAP value.
type MapEntry struct {
	Key, Value any
}

// Map is a MAP value, its entries in storage order.
type Map []MapEntry

// decoder reads the values of one column from DuckDB vectors. The tree of
// decoders mirrors the column's type: LIST, ARRAY and MAP have one child,
// STRUCT one per field.
type decoder struct {
	typ      bindings.Type
	name     string // the type's SQL name, such as DECIMAL(18,2) or VARCHAR[]
	alias    string // a type alias such as JSON, or ""
	internal bindings.Type
	scale    int
	arrSize  uint64
	enumDict []string
	fields   []string
	children []*decoder

	vec      bindings.Vector
	data     unsafe.Pointer
	validity unsafe.Pointer
}

// newDecoder builds the decoder of a logical type. It returns an error for
// types that flowq does not read, naming a cast that does.
func newDecoder(lt bindings.LogicalType) (*decoder, error) {
	d := &decoder{typ: bindings.GetTypeId(lt), alias: bindings.LogicalTypeGetAlias(lt)}
	switch d.typ {
	case bindings.TypeDecimal:
		d.internal = bindings.DecimalInternalType(lt)
		d.scale = int(bindings.DecimalScale(lt))
		d.name = fmt.Sprintf("DECIMAL(%d,%d)", bindings.DecimalWidth(lt), d.scale)
	case bindings.TypeEnum:
		d.internal = bindings.EnumInternalType(lt)
		n := bindings.EnumDictionarySize(lt)
		d.enumDict = make([]string, n)
		for i := range d.enumDict {
			d.enumDict[i] = bindings.EnumDictionaryValue(lt, bindings.IdxT(i))
		}
		d.name = "ENUM"
	case bindings.TypeList:
		child := bindings.ListTypeChildType(lt)
		defer bindings.DestroyLogicalType(&child)
		c, err := newDecoder(child)
		if err != nil {
			return nil, err
		}
		d.children = []*decoder{c}
		d.name = c.name + "[]"
	case bindings.TypeArray:
		child := bindings.ArrayTypeChildType(lt)
		defer bindings.DestroyLogicalType(&child)
		c, err := newDecoder(child)
		if err != nil {
			return nil, err
		}
		d.children = []*decoder{c}
		d.arrSize = uint64(bindings.ArrayTypeArraySize(lt))
		d.name = fmt.Sprintf("%s[%d]", c.name, d.arrSize)
	case bindings.TypeMap:
		// A MAP is stored as a LIST of STRUCT(key, value).
		child := bindings.ListTypeChildType(lt)
		defer bindings.DestroyLogicalType(&child)
		c, err := newDecoder(child)
		if err != nil {
			return nil, err
		}
		d.children = []*decoder{c}
		if len(c.children) == 2 {
			d.name = fmt.Sprintf("MAP(%s, %s)", c.children[0].name, c.children[1].name)
		}
	case bindings.TypeStruct:
		n := int(bindings.StructTypeChildCount(lt))
		parts := make([]string, n)
		for i := range n {
			child := bindings.StructTypeChildType(lt, bindings.IdxT(i))
			c, err := newDecoder(child)
			bindings.DestroyLogicalType(&child)
			if err != nil {
				return nil, err
			}
			name := bindings.StructTypeChildName(lt, bindings.IdxT(i))
			d.fields = append(d.fields, name)
			d.children = append(d.children, c)
			parts[i] = strconv.Quote(name) + " " + c.name
		}
		d.name = "STRUCT(" + strings.Join(parts, ", ") + ")"
	default:
		name, ok := simpleTypeNames[d.typ]
		if !ok {
			return nil, fmt.Errorf("a result column has a DuckDB type (id %d) that flowq cannot read: cast it, for example CAST(x AS VARCHAR)", int(d.typ))
		}
		d.name = name
	}
	if d.alias != "" {
		d.name = d.alias
	}
	return d, nil
}

var simpleTypeNames = map[bindings.Type]string{
	bindings.TypeBoolean:       "BOOLEAN",
	bindings.TypeTinyInt:       "TINYINT",
	bindings.TypeSmallInt:      "SMALLINT",
	bindings.TypeInteger:       "INTEGER",
	bindings.TypeBigInt:        "BIGINT",
	bindings.TypeUTinyInt:      "UTINYINT",
	bindings.TypeUSmallInt:     "USMALLINT",
	bindings.TypeUInteger:      "UINTEGER",
	bindings.TypeUBigInt:       "UBIGINT",
	bindings.TypeFloat:         "FLOAT",
	bindings.TypeDouble:        "DOUBLE",
	bindings.TypeHugeInt:       "HUGEINT",
	bindings.TypeUHugeInt:      "UHUGEINT",
	bindings.TypeVarchar:       "VARCHAR",
	bindings.TypeBlob:          "BLOB",
	bindings.TypeUUID:          "UUID",
	bindings.TypeDate:          "DATE",
	bindings.TypeTime:          "TIME",
	bindings.TypeTimestamp:     "TIMESTAMP",
	bindings.TypeTimestampS:    "TIMESTAMP_S",
	bindings.TypeTimestampMS:   "TIMESTAMP_MS",
	bindings.TypeTimestampNS:   "TIMESTAMP_NS",
	bindings.TypeTimestampTZ:   "TIMESTAMP WITH TIME ZONE",
	bindings.TypeTimestampTZNS: "TIMESTAMP_NS WITH TIME ZONE",
	bindings.TypeInterval:      "INTERVAL",
	bindings.TypeSQLNull:       "NULL",
}

// bind points the decoder, and its children, at the vector of a new chunk.
func (d *decoder) bind(vec bindings.Vector) {
	d.vec = vec
	d.data = bindings.VectorGetData(vec)
	d.validity = bindings.VectorGetValidity(vec)
	switch d.typ {
	case bindings.TypeList, bindings.TypeMap:
		d.children[0].bind(bindings.ListVectorGetChild(vec))
	case bindings.TypeArray:
		d.children[0].bind(bindings.ArrayVectorGetChild(vec))
	case bindings.TypeStruct:
		for i, c := range d.children {
			c.bind(bindings.StructVectorGetChild(vec, bindings.IdxT(i)))
		}
	}
}

func (d *decoder) valid(i uint64) bool {
	if d.validity == nil {
		return true
	}
	word := *(*uint64)(unsafe.Add(d.validity, 8*(i/64)))
	return word&(1<<(i%64)) != 0
}

// at returns a pointer to the i-th element of a vector of fixed-size values.
func at[T any](d *decoder, i uint64) *T {
	var zero T
	return (*T)(unsafe.Add(d.data, uintptr(i)*unsafe.Sizeof(zero)))
}

// hugeint mirrors duckdb_hugeint and duckdb_uhugeint: the low 64 bits, then the high 64 bits.
type hugeint struct {
	lower uint64
	upper uint64
}

func (h hugeint) signed() *big.Int {
	v := new(big.Int).SetUint64(h.upper)
	if int64(h.upper) < 0 {
		v.SetInt64(int64(h.upper))
	}
	v.Lsh(v, 64)
	return v.Or(v, new(big.Int).SetUint64(h.lower))
}

func (h hugeint) unsigned() *big.Int {
	v := new(big.Int).SetUint64(h.upper)
	v.Lsh(v, 64)
	return v.Or(v, new(big.Int).SetUint64(h.lower))
}

// value decodes the i-th value of the bound vector.
func (d *decoder) value(i uint64) any {
	if !d.valid(i) {
		return nil
	}
	switch d.typ {
	case bindings.TypeBoolean:
		return *at[bool](d, i)
	case bindings.TypeTinyInt:
		return *at[int8](d, i)
	case bindings.TypeSmallInt:
		return *at[int16](d, i)
	case bindings.TypeInteger:
		return *at[int32](d, i)
	case bindings.TypeBigInt:
		return *at[int64](d, i)
	case bindings.TypeUTinyInt:
		return *at[uint8](d, i)
	case bindings.TypeUSmallInt:
		return *at[uint16](d, i)
	case bindings.TypeUInteger:
		return *at[uint32](d, i)
	case bindings.TypeUBigInt:
		return *at[uint64](d, i)
	case bindings.TypeFloat:
		return *at[float32](d, i)
	case bindings.TypeDouble:
		return *at[float64](d, i)
	case bindings.TypeHugeInt:
		return at[hugeint](d, i).signed()
	case bindings.TypeUHugeInt:
		return at[hugeint](d, i).unsigned()
	case bindings.TypeDecimal:
		return d.decimal(i)
	case bindings.TypeVarchar:
		return string(d.bytes(i))
	case bindings.TypeBlob:
		return append([]byte(nil), d.bytes(i)...)
	case bindings.TypeUUID:
		return uuidString(*at[hugeint](d, i))
	case bindings.TypeEnum:
		return d.enum(i)
	case bindings.TypeDate:
		return time.Unix(int64(*at[int32](d, i))*86400, 0).UTC()
	case bindings.TypeTime:
		return timeOfDay(*at[int64](d, i))
	case bindings.TypeTimestamp, bindings.TypeTimestampTZ:
		return time.UnixMicro(*at[int64](d, i)).UTC()
	case bindings.TypeTimestampS:
		return time.Unix(*at[int64](d, i), 0).UTC()
	case bindings.TypeTimestampMS:
		return time.UnixMilli(*at[int64](d, i)).UTC()
	case bindings.TypeTimestampNS, bindings.TypeTimestampTZNS:
		return time.Unix(0, *at[int64](d, i)).UTC()
	case bindings.TypeInterval:
		return *at[Interval](d, i)
	case bindings.TypeList, bindings.TypeMap:
		return d.list(i)
	case bindings.TypeArray:
		out := make([]any, d.arrSize)
		for j := range out {
			out[j] = d.children[0].value(i*d.arrSize + uint64(j))
		}
		return out
	case bindings.TypeStruct:
		s := make(Struct, len(d.children))
		for j, c := range d.children {
			s[j] = Field{Name: d.fields[j], Value: c.value(i)}
		}
		return s
	}
	return nil
}

// bytes returns the bytes of a duckdb_string_t: 16 bytes holding the
// length, then either the string itself when it has at most 12 bytes, or a
// 4-byte prefix and a pointer. The slice points into DuckDB's memory and is
// valid only until the next chunk.
func (d *decoder) bytes(i uint64) []byte {
	p := unsafe.Add(d.data, 16*i)
	n := *(*uint32)(p)
	if n == 0 {
		return nil
	}
	if n <= 12 {
		return unsafe.Slice((*byte)(unsafe.Add(p, 4)), n)
	}
	ptr := *(*unsafe.Pointer)(unsafe.Add(p, 8))
	return unsafe.Slice((*byte)(ptr), n)
}

func (d *decoder) decimal(i uint64) Decimal {
	var v *big.Int
	switch d.internal {
	case bindings.TypeSmallInt:
		v = big.NewInt(int64(*at[int16](d, i)))
	case bindings.TypeInteger:
		v = big.NewInt(int64(*at[int32](d, i)))
	case bindings.TypeBigInt:
		v = big.NewInt(*at[int64](d, i))
	default:
		v = at[hugeint](d, i).signed()
	}
	return Decimal{Unscaled: v, Scale: d.scale}
}

func (d *decoder) enum(i uint64) any {
	var idx uint64
	switch d.internal {
	case bindings.TypeUTinyInt:
		idx = uint64(*at[uint8](d, i))
	case bindings.TypeUSmallInt:
		idx = uint64(*at[uint16](d, i))
	default:
		idx = uint64(*at[uint32](d, i))
	}
	if idx >= uint64(len(d.enumDict)) {
		return nil
	}
	return d.enumDict[idx]
}

// listEntry mirrors duckdb_list_entry.
type listEntry struct {
	offset uint64
	length uint64
}

func (d *decoder) list(i uint64) any {
	e := *at[listEntry](d, i)
	child := d.children[0]
	if d.typ == bindings.TypeMap {
		m := make(Map, e.length)
		for j := range m {
			k := e.offset + uint64(j)
			m[j] = MapEntry{Key: child.children[0].value(k), Value: child.children[1].value(k)}
		}
		return m
	}
	out := make([]any, e.length)
	for j := range out {
		out[j] = child.value(e.offset + uint64(j))
	}
	return out
}

// uuidString formats a UUID, which DuckDB stores as a HUGEINT with the top
// bit flipped so that UUIDs sort as their text does.
func uuidString(h hugeint) string {
	var b [16]byte
	upper := h.upper ^ (1 << 63)
	for k := 0; k < 8; k++ {
		b[k] = byte(upper >> (56 - 8*k))
		b[8+k] = byte(h.lower >> (56 - 8*k))
	}
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// timeOfDay formats microseconds since midnight as 15:04:05 with a
// fraction when there is one.
func timeOfDay(us int64) string {
	t := time.Unix(0, us*1000).UTC()
	return t.Format("15:04:05.999999")
}
