package query

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Text forms of values, shared by every output format:
//
//   - integers of any width, HUGEINT included, print every digit;
//   - DATE prints as 2006-01-02, and timestamps as ISO 8601 in UTC with a Z
//     and the fraction of a second only when it is not zero;
//   - LIST, ARRAY, STRUCT and MAP values print as JSON;
//   - BLOB prints as \xHH escapes in text formats and as base64 in JSON.
//
// NULL has no text form: each format writes it its own way.

// appendText appends the text form of a non-NULL value.
func appendText(b []byte, v any, colType string) []byte {
	switch x := v.(type) {
	case nil:
		return b
	case string:
		return append(b, x...)
	case bool:
		return strconv.AppendBool(b, x)
	case int8:
		return strconv.AppendInt(b, int64(x), 10)
	case int16:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case *big.Int:
		return x.Append(b, 10)
	case float32:
		return appendFloat(b, float64(x), 32)
	case float64:
		return appendFloat(b, x, 64)
	case Decimal:
		return append(b, x.String()...)
	case time.Time:
		return appendTime(b, x, colType)
	case Interval:
		return append(b, x.String()...)
	case []byte:
		for _, c := range x {
			b = append(b, '\\', 'x')
			b = hex.AppendEncode(b, []byte{c})
		}
		return b
	case []any, Struct, Map:
		return appendJSON(b, v, "")
	}
	return fmt.Append(b, v)
}

// appendFloat formats a float the way encoding/json does: plain notation
// for ordinary magnitudes, exponent notation for very large or small ones.
func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, bits)
}

func appendTime(b []byte, t time.Time, colType string) []byte {
	t = t.UTC()
	if colType == "DATE" {
		return t.AppendFormat(b, "2006-01-02")
	}
	return t.AppendFormat(b, "2006-01-02T15:04:05.999999999Z07:00")
}

// appendJSON appends the JSON form of a value. Integers of every width and
// decimals become JSON numbers with all their digits. A column of type JSON
// is embedded as it is when it holds valid JSON.
func appendJSON(b []byte, v any, colType string) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		if colType == "JSON" && jsonValid(x) {
			return append(b, x...)
		}
		return appendJSONString(b, x)
	case bool, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, *big.Int, Decimal:
		return appendText(b, x, colType)
	case float32:
		return appendJSONFloat(b, float64(x), 32)
	case float64:
		return appendJSONFloat(b, x, 64)
	case time.Time:
		b = append(b, '"')
		b = appendTime(b, x, colType)
		return append(b, '"')
	case Interval:
		return appendJSONString(b, x.String())
	case []byte:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, x)
		return append(b, '"')
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e, "")
		}
		return append(b, ']')
	case Struct:
		b = append(b, '{')
		for i, f := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f.Name)
			b = append(b, ':')
			b = appendJSON(b, f.Value, "")
		}
		return append(b, '}')
	case Map:
		return appendJSONMap(b, x)
	}
	return appendJSONString(b, fmt.Sprint(v))
}

// appendJSONFloat writes NaN and infinities, which JSON numbers cannot
// hold, as strings.
func appendJSONFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		b = append(b, '"')
		b = appendFloat(b, f, bits)
		return append(b, '"')
	}
	return appendFloat(b, f, bits)
}

// appendJSONMap writes a map with text keys as a JSON object, and any
// other map as an array of {"key": …, "value": …} objects.
func appendJSONMap(b []byte, m Map) []byte {
	textKeys := true
	for _, e := range m {
		if _, ok := e.Key.(string); !ok {
			textKeys = false
			break
		}
	}
	if textKeys {
		b = append(b, '{')
		for i, e := range m {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, e.Key.(string))
			b = append(b, ':')
			b = appendJSON(b, e.Value, "")
		}
		return append(b, '}')
	}
	b = append(b, '[')
	for i, e := range m {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = appendJSON(b, e.Key, "")
		b = append(b, `,"value":`...)
		b = appendJSON(b, e.Value, "")
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendJSONString quotes s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// jsonValid reports whether s is one JSON value; JSON columns come from
// DuckDB and are nearly always valid, so this guards the rare exception.
func jsonValid(s string) bool {
	return strings.TrimSpace(s) != "" && json.Valid([]byte(s))
}
