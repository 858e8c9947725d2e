package query

import (
	"fmt"
	"math/big"
	"time"

	bindings "github.com/duckdb/duckdb-go-bindings"
)

// bindArgs binds Go values to the parameters of a prepared statement, in
// order: args[0] to $1 or the first ?. It accepts nil, bool, signed and
// unsigned integers, float32, float64, string, []byte, time.Time (bound as
// TIMESTAMPTZ), time.Duration (bound as INTERVAL) and *big.Int (HUGEINT).
func bindArgs(ps bindings.PreparedStatement, args []any) error {
	want := int(bindings.NParams(ps))
	if len(args) != want {
		return fmt.Errorf("the statement has %d parameters but %d arguments were given", want, len(args))
	}
	for i, a := range args {
		idx := bindings.IdxT(i + 1)
		var state bindings.State
		switch v := a.(type) {
		case nil:
			state = bindings.BindNull(ps, idx)
		case bool:
			state = bindings.BindBoolean(ps, idx, v)
		case int:
			state = bindings.BindInt64(ps, idx, int64(v))
		case int8:
			state = bindings.BindInt8(ps, idx, v)
		case int16:
			state = bindings.BindInt16(ps, idx, v)
		case int32:
			state = bindings.BindInt32(ps, idx, v)
		case int64:
			state = bindings.BindInt64(ps, idx, v)
		case uint:
			state = bindings.BindUInt64(ps, idx, uint64(v))
		case uint8:
			state = bindings.BindUInt8(ps, idx, v)
		case uint16:
			state = bindings.BindUInt16(ps, idx, v)
		case uint32:
			state = bindings.BindUInt32(ps, idx, v)
		case uint64:
			state = bindings.BindUInt64(ps, idx, v)
		case float32:
			state = bindings.BindFloat(ps, idx, v)
		case float64:
			state = bindings.BindDouble(ps, idx, v)
		case string:
			state = bindings.BindVarchar(ps, idx, v)
		case []byte:
			state = bindings.BindBlob(ps, idx, v)
		case time.Time:
			state = bindings.BindTimestampTZ(ps, idx, bindings.NewTimestamp(v.UnixMicro()))
		case time.Duration:
			state = bindings.BindInterval(ps, idx, bindings.NewInterval(0, 0, v.Microseconds()))
		case *big.Int:
			if v.BitLen() > 127 {
				return fmt.Errorf("argument %d: %s does not fit in a HUGEINT", i+1, v)
			}
			lower := new(big.Int).And(v, new(big.Int).SetUint64(^uint64(0))).Uint64()
			upper := new(big.Int).Rsh(v, 64).Int64()
			state = bindings.BindHugeInt(ps, idx, bindings.NewHugeInt(lower, upper))
		default:
			return fmt.Errorf("argument %d has type %T, which cannot be bound: pass a string, number, bool, []byte or time.Time", i+1, a)
		}
		if state == bindings.StateError {
			return fmt.Errorf("argument %d (%T) does not fit parameter $%d", i+1, a, i+1)
		}
	}
	return nil
}
