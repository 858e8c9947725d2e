// Package detections runs packs of SQL detection rules over a flowq dataset
// and turns their rows into findings.
//
// # Rule files
//
// A rule is one .sql file. It starts with YAML front matter inside a SQL
// block comment, so the file stays valid SQL for editors and linters: the
// first line is "/*---" and the front matter ends at a line "---*/". The
// SQL query follows. Example:
//
//	/*---
//	id: ssh_bruteforce
//	title: SSH brute force
//	description: Many short connections from one source to port 22 of one host.
//	severity: high
//	attack:
//	  - tactic: TA0006
//	    technique: T1110.001
//	tags: [ssh, brute-force]
//	entity: pair
//	window: 20m
//	parameters:
//	  - name: min_attempts
//	    type: int
//	    default: 30
//	    unit: connections
//	    description: connections in one window that fire the rule
//	investigation: Check whether the source is a known bastion or scanner.
//	---*/
//	SELECT ... FROM window_flows WHERE dstport = 22 ...
//
// The front matter keys are id (lower case letters, digits and _), title,
// description, severity (info, low, medium, high or critical), attack (a
// list of tactic and technique ids), tags and entity (source, destination,
// interface or pair). The key window is the time bucket that counts are
// taken over, a Go duration that also accepts the units d and w. The key
// baseline is true when the rule reads baseline_flows. Then come
// parameters and investigation. The optional key evidence is an SQL
// condition on the columns of window_flows, such as action = 'ACCEPT',
// that the evidence records of the rule's findings must also meet, so the
// evidence shows the records the rule counted.
//
// # Parameters
//
// The SQL refers to a parameter as {{name}}. Before a rule runs, every
// placeholder is replaced by an SQL literal of the parameter's type: int
// and float (0 or more, since parameters are counts, sizes, rates and
// multipliers), string, ports (a list of ports and port ranges such as 5900-5910),
// cidrs (a list of addresses and networks) or strings. Values are checked
// against the type before they are written, so a value can never change the
// structure of the query. The value is the default of the front matter,
// replaced by the config file (--config) and then by --set rule.param=value.
//
// These placeholders are always defined: {{since}} and {{until}} (the
// window as TIMESTAMPTZ literals), {{baseline_since}} (the start of the
// baseline history), {{window}} (the rule's window as an INTERVAL) and
// {{window_seconds}}.
//
// # Tables
//
// Run materialises the window once per run into TEMP tables, and every
// rule reads those instead of the Parquet files:
//
//   - window_flows: the traffic records (log_status OK or NULL) whose
//     [start, end] overlaps [since, until). Its flow-log columns are start,
//     end, start_time, end_time, account_id, region, interface_id, srcaddr,
//     dstaddr, srcport, dstport, protocol, packets, bytes, action,
//     tcp_flags, flow_direction and pkt_dst_aws_service. It adds the
//     dataset's booleans src_private and dst_private, false where NULL, and
//     egress: the record's flow_direction is egress, or, when the field is
//     missing, a private source sends to a public destination. A rule that
//     needs another column, such as instance_id, reads the flows view with
//     the same time condition.
//   - window_status: the NODATA and SKIPDATA records of the window. They
//     carry no addresses, ports or counts, so its columns are start, end,
//     start_time, end_time, account_id, region, vpc_id, subnet_id,
//     instance_id, interface_id, action and log_status.
//   - baseline_flows: the same columns as window_flows for the records of
//     [since - baseline, since), filled only when a rule of the run sets
//     baseline: true. A rule that reads it without that key fails.
//   - threat_list: the networks of --threat-list as (network, lo, hi, lo6,
//     hi6, bits). lo and hi are the first and last IPv4 address as BIGINT,
//     and lo6 and hi6 the first and last IPv6 address as UHUGEINT. Both are
//     NULL for the other family. bits is the prefix length. For a list of
//     many networks, join on bits and the address's first bits, as
//     threat_list_match does, rather than on BETWEEN lo AND hi.
//
// # Result columns
//
// A rule returns one row per finding candidate. Required columns: entity
// (VARCHAR), first_seen and last_seen (TIMESTAMPTZ). Optional columns that
// the engine understands: src_addr, dst_addr, dst_port, protocol and
// interface_id; they select the evidence rows, are matched against the
// allowlist and fill the OCSF endpoints. Every other numeric column is a
// count of the finding, and every other column is a detail.
//
// Rows with the same entity are merged into one finding per rule, entity
// and run window: first_seen is the earliest, last_seen the latest, and each
// count is the largest of the rows, which for a rule that groups by time
// bucket is the peak bucket.
package detections
