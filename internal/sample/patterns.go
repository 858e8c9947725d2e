package sample

import (
	"strconv"
)

// pattern is one kind of traffic. A background pattern draws a Poisson
// number of units per minute and builds each with unit; an incident
// replays conversations planned in advance. Both depend only on the seed,
// the pattern and the minute, so every worker that needs a minute's
// conversations regenerates the same ones.
type pattern struct {
	id   int
	name string
	// flowLogs has bit i set when observers of flow log i log the pattern.
	flowLogs uint32
	// maxDuration bounds end-start of its conversations, in seconds. A
	// worker looks back this far for conversations still running.
	maxDuration int64
	// share is the pattern's fraction of the background records.
	share float64
	// flat patterns ignore the time of day (internet scanners do).
	flat bool
	// unitsPerMinute is the mean number of units per minute at a diurnal
	// factor of 1, sized from Options.RecordsPerDay.
	unitsPerMinute float64
	unit           func(g *generator, t int64, r *rng, out []conv) []conv
	// planned holds an incident's conversations, sorted by start.
	planned []conv
}

// generate appends the conversations that start in the given minute.
func (p *pattern) generate(g *generator, minute int64, r *rng, out []conv) []conv {
	if p.planned != nil {
		lo, hi := minute*60, minute*60+60
		for i := searchStart(p.planned, lo); i < len(p.planned) && p.planned[i].start < hi; i++ {
			out = append(out, p.planned[i])
		}
		return out
	}
	mean := p.unitsPerMinute
	if !p.flat {
		mean *= g.diurnal[(minute/60)%24]
	}
	n := r.poisson(mean)
	for i := 0; i < n; i++ {
		out = p.unit(g, minute*60+int64(r.intn(60)), r, out)
	}
	return out
}

func searchStart(convs []conv, t int64) int {
	lo, hi := 0, len(convs)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if convs[mid].start < t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// diurnalShape is the relative traffic of each UTC hour; newGenerator
// scales it to a mean of 1.
var diurnalShape = [24]float64{
	0.55, 0.5, 0.45, 0.45, 0.5, 0.6, 0.75, 0.9, 1.1, 1.25, 1.35, 1.4,
	1.4, 1.45, 1.5, 1.45, 1.35, 1.25, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6,
}

func (g *generator) endpoint(i int, port uint16) endpoint {
	return endpoint{obs: i, addr: g.est.observers[i].ip4, port: port}
}

// backgroundPatterns returns the steady traffic of the estate.
func (g *generator) backgroundPatterns() []*pattern {
	x := &g.ix
	return []*pattern{
		{name: "web", share: 0.30, flowLogs: logMask(flProd, flECS), maxDuration: 30, unit: x.web},
		{name: "api", share: 0.09, flowLogs: logMask(flProd), maxDuration: 30, unit: x.api},
		{name: "app-db", share: 0.18, flowLogs: logMask(flProd, flECS), maxDuration: 300, unit: x.appDB},
		{name: "dns-prod", share: 0.06, flowLogs: logMask(flProd, flECS), maxDuration: 1, unit: x.dnsProd},
		{name: "dns-analytics", share: 0.02, flowLogs: logMask(flAnalytics), maxDuration: 1, unit: x.dnsAnalytics},
		{name: "egress-nat", share: 0.07, flowLogs: logMask(flProd, flECS), maxDuration: 30, unit: x.egressNAT},
		{name: "egress-direct", share: 0.02, flowLogs: logMask(flProd, flAnalytics), maxDuration: 60, unit: x.egressDirect},
		{name: "s3-prod", share: 0.03, flowLogs: logMask(flProd, flECS), maxDuration: 60, unit: x.s3Prod},
		{name: "s3-analytics", share: 0.02, flowLogs: logMask(flAnalytics), maxDuration: 60, unit: x.s3Analytics},
		{name: "replication", share: 0.06, flowLogs: logMask(flAnalytics, flTGW, flProd), maxDuration: 600, unit: x.replication},
		{name: "blackhole", share: 0.003, flowLogs: logMask(flProd, flTGW), maxDuration: 7, unit: x.blackhole},
		{name: "scan-prod", share: 0.03, flowLogs: logMask(flProd, flECS), maxDuration: 2, flat: true, unit: x.scanProd},
		{name: "scan-analytics", share: 0.01, flowLogs: logMask(flAnalytics), maxDuration: 2, flat: true, unit: x.scanAnalytics},
		{name: "admin", share: 0.015, flowLogs: logMask(flProd, flAnalytics), maxDuration: 2400, unit: x.admin},
		{name: "dr", share: 0.004, flowLogs: logMask(flProd, flDR), maxDuration: 120, unit: x.dr},
		{name: "spare", share: 0.0005, flowLogs: logMask(flProd), maxDuration: 1, flat: true, unit: x.spare},
	}
}

func logMask(flowLogs ...int) uint32 {
	var m uint32
	for _, f := range flowLogs {
		m |= 1 << f
	}
	return m
}

// roles holds the observer indices the patterns pick from.
type roles struct {
	bastionA, publicAPI, relay int
	albs                       []int
	nat                        int
	apps                       []int
	dnsA, spareHost            int
	pgPrimary, pgReplica       int
	mysql, etl, backup         int
	orders, reports            []int
	edge                       int
	bastionB, dnsB             int
	workers                    []int
	standbys                   []int
	tgwProd, tgwAnalytics      int
	dnsClientsProd             []int
	dnsClientsAnalytics        []int
	natClients                 []int
	bastionBClosedAt           int64
	scanTargetsProd            []int
}

func (x *roles) init(g *generator) {
	e := g.est
	x.bastionA, x.publicAPI, x.relay = e.obs("bastion-a"), e.obs("api"), e.obs("relay")
	x.albs = []int{e.obs("alb-1"), e.obs("alb-2")}
	x.nat = e.obs("nat")
	for i := 1; i <= appServers; i++ {
		x.apps = append(x.apps, e.obs(appName(i)))
	}
	x.dnsA, x.spareHost = e.obs("dns-a"), e.obs("spare")
	x.pgPrimary, x.pgReplica, x.mysql = e.obs("pg-primary"), e.obs("pg-replica"), e.obs("mysql")
	x.etl, x.backup = e.obs("etl"), e.obs("backup")
	for i := 1; i <= ordersTasks; i++ {
		x.orders = append(x.orders, e.obs("orders-"+strconv.Itoa(i)))
	}
	for i := 1; i <= reportTasks; i++ {
		x.reports = append(x.reports, e.obs("report-"+strconv.Itoa(i)))
	}
	x.edge = e.obs("edge")
	x.bastionB, x.dnsB = e.obs("bastion-b"), e.obs("dns-b")
	for i := 1; i <= analyticsWorkers; i++ {
		x.workers = append(x.workers, e.obs(workerName(i)))
	}
	for i := 1; i <= 3; i++ {
		x.standbys = append(x.standbys, e.obs("standby-"+strconv.Itoa(i)))
	}
	x.tgwProd, x.tgwAnalytics = e.obs("tgw-prod"), e.obs("tgw-analytics")

	x.dnsClientsProd = append(append(append([]int{x.bastionA, x.publicAPI, x.relay}, x.apps...), x.orders...), x.reports...)
	x.dnsClientsProd = append(x.dnsClientsProd, x.pgPrimary, x.pgReplica, x.mysql, x.etl, x.backup, x.edge)
	x.dnsClientsAnalytics = append([]int{x.bastionB}, x.workers...)
	x.natClients = append(append(append([]int{}, x.apps...), x.orders...), x.reports...)
	x.scanTargetsProd = []int{x.bastionA, x.publicAPI, x.relay, x.albs[0], x.albs[1], x.edge}
	// The analytics bastion's security group let SSH in from anywhere
	// until an automated response closed it during the brute force.
	x.bastionBClosedAt = g.start + sshBruteForceOffset + sshAcceptedAttempts*sshAttemptGapMillis/1000
}
