// Package query runs SQL over a flowq dataset on an embedded, in-memory
// DuckDB. Open plans which partition folders a time range, accounts and
// regions select, defines the views flows and tgw_flows over only those
// files, and registers flowq's macros (is_private, in_cidr, protocol_name,
// tcp_flag_names, service_port and the address parsers behind them).
//
// Results stream from DuckDB chunk by chunk through Rows, so a result of any
// size passes through a bounded amount of memory, and ResultWriter prints
// them as a table, CSV, TSV, JSON, NDJSON or Markdown. Errors are *Error
// values whose Kind separates a mistake in the SQL from an I/O failure,
// memory exhaustion or an interrupt. The dataset is never changed: statements that
// would write into it, attach databases or load extensions are rejected.
//
// SyncS3 fetches the partitions of a dataset stored in S3 into a local
// cache folder, which the engine then reads like any local dataset.
package query
