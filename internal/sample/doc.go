// Package sample generates realistic AWS VPC flow-log archives: gzip text
// objects in the exact S3 key layout and file naming AWS uses, together with
// a Truth that counts what was written. The demo command converts a small
// archive, the tests compare a converted dataset against the Truth, and the
// benchmarks write archives of tens of millions of records.
//
// # Estate
//
// The estate is the same for every seed. Account 012345678901 runs the
// production VPC 10.0.0.0/16 in us-east-1 (public, app, data and ECS
// subnets, a load balancer, a NAT gateway and a Transit Gateway). Account
// 210987654321 runs an analytics VPC, 10.1.0.0/17 in us-east-1, reached
// through the Transit Gateway, and a disaster-recovery VPC, 10.1.128.0/17
// in eu-west-1. Five flow logs cover them:
//
//   - prod covers the production public, app and data subnets. Its custom
//     format has every field of versions 2 to 5 in a non-default order,
//     with 60 s windows and Hive keys with hour folders.
//   - analytics covers the analytics VPC in the default format, with 600 s
//     windows and default keys.
//   - ecs covers the ECS task subnet with the ECS fields (version 7) and
//     reject-reason (version 8), 60 s windows and hourly keys. One task sits
//     behind VPC Block Public Access, so its rejected records carry
//     reject-reason BPA and no bytes.
//   - tgw covers the Transit Gateway with all Transit Gateway fields, 60 s
//     windows and Hive keys.
//   - dr covers three quiet standbys in a short custom version 4 format,
//     with 600 s windows and default keys. It writes mostly NODATA records
//     and an object every 10 minutes.
//
// Internet addresses come from the documentation ranges 192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32 and from the
// benchmarking range 198.18.0.0/15, so no real network is named.
//
// # Incidents
//
// With Options.Incidents, four incidents are embedded; times are UTC, days
// count from Options.Start, and Truth.Incidents reports the exact numbers:
//
//   - ssh-brute-force, day 1 from 03:12 for 20 minutes: 203.0.113.66 makes
//     640 connections to port 22 of the analytics bastion 10.1.1.10; the
//     first 160 are accepted, then the security group closes and the rest
//     are rejected.
//   - port-scan, day 1 from 14:40 for about 4 minutes: 203.0.113.77 sends
//     SYNs to 1,224 distinct ports of the mail relay 10.0.1.30; only port 25
//     is accepted.
//   - exfiltration, day 2 from 01:30 for an hour: the ETL instance
//     10.0.3.30 sends about 6 GiB to 198.51.100.200 on port 443 in four
//     connections, egress through the internet gateway.
//   - dos, day 2 from 09:05 for 10 minutes: 48 sources in 198.19.66.0/24
//     flood UDP port 443 of the public API 10.0.1.20 with about a million
//     packets a minute in total.
//
// Background traffic never uses the incident sources, and its levels stay
// far below the incidents' at the default volume: at most a few SSH
// connections per source in 20 minutes, a few probed ports per source and
// day, and under 10,000 packets per record.
//
// # Timing
//
// Each object holds the records of one flow log whose aggregation window
// closed in the 5 minutes before the time in its name, so records start up
// to 300 s (60 s windows) or 600 s (600 s windows) before that time, plus the
// flow log's delivery offset of up to 2 minutes. Records near midnight and
// the hour therefore sit under the next day's or hour's key.
// Truth.FlowLogs reports the largest lead per flow log.
//
// # Known differences from AWS
//
// NOTE: only quiet ENIs write NODATA records; AWS writes one for every idle
// window of every ENI, which would swamp the demo. Traffic to the
// Amazon-provided DNS resolver is never logged by AWS, so the estate sends
// its DNS to resolver instances of its own, whose traffic is logged.
//
// NOTE: the same options give the same bytes on one platform and with one
// version of github.com/klauspost/compress. The traffic draws use floating
// point, so another CPU architecture may round a value differently.
package sample
