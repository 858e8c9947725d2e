package sample

import (
	"net/netip"
	"strconv"
	"sync"

	"github.com/flowq/flowq/internal/dataset"
)

// The estate is the same for every seed: two accounts, three VPCs in two
// regions, a few dozen ENIs and five flow logs. Only the traffic varies.
const (
	accountProd      = "012345678901" // leading zero: account ids are strings
	accountAnalytics = "210987654321"
	regionUSEast1    = "us-east-1"
	regionEUWest1    = "eu-west-1"
)

// observer is a place that writes flow-log records: an ENI, or a Transit
// Gateway attachment for the Transit Gateway flow log.
type observer struct {
	name    string
	flowLog int
	account string
	region  string
	vpc     string
	subnet  string
	az      string
	// instance is "-" for ENIs that AWS manages (load balancer, NAT gateway)
	// and for Fargate tasks.
	instance string
	eni      string
	ip4      netip.Addr
	ip6      netip.Addr
	ecs      *ecsTask
	// quiet ENIs write a NODATA record for every window without traffic.
	// NOTE: busier ENIs never write NODATA, which AWS would do for their
	// idle windows too; it keeps the demo small.
	quiet bool
	// bpa marks a subnet under VPC Block Public Access: inbound internet
	// traffic is rejected with reject-reason BPA and no bytes.
	bpa bool
	// window is the aggregation interval in seconds, 60 or 600; phase
	// shifts 600 s windows by 300 s so that their records spread over the
	// 5-minute files.
	window int64
	phase  int64
	// attachment is set for Transit Gateway attachments only.
	attachment *tgwAttachment
}

// tgwAttachment is one VPC attachment of the Transit Gateway and the TGW
// ENI in the attachment subnet.
type tgwAttachment struct {
	id         string
	vpcAccount string
	vpc        string
	subnet     string
	eni        string
	az         string
}

// ecsTask holds the ECS metadata that version 7 records carry for a task ENI.
type ecsTask struct {
	clusterARN           string
	clusterName          string
	containerInstanceARN string
	containerInstanceID  string
	containerID          string
	secondContainerID    string
	serviceName          string
	taskDefinitionARN    string
	taskARN              string
	taskID               string
}

// flowLog is one flow-log subscription and the format it writes.
type flowLog struct {
	name    string
	id      string
	account string
	region  string
	table   string
	header  string
	fields  []field
	version string
	window  int64
	layout  Layout
	// nameOffset is the delay in seconds between the 5-minute boundary and
	// the time in the file's name, which AWS sets at delivery.
	nameOffset int64
	observers  []int
}

type estate struct {
	observers []*observer
	flowLogs  []*flowLog
	byName    map[string]int
	tgwID     string
}

// Indices of the flow logs in estate.flowLogs.
const (
	flProd = iota
	flAnalytics
	flECS
	flTGW
	flDR
	flowLogCount
)

// obs returns the index of a named observer; the names are constants of
// this file, so a missing one is a bug.
func (e *estate) obs(name string) int {
	i, ok := e.byName[name]
	if !ok {
		panic("sample: BUG: no observer named " + name)
	}
	return i
}

// hexID returns n lower-case hex digits derived from name.
func hexID(name string, n int) string {
	var b []byte
	for salt := uint64(0); len(b) < n; salt++ {
		b = strconv.AppendUint(b, hashString(name, salt)|1<<63, 16)
	}
	return string(b[:n])
}

// awsID returns an id in AWS's 17-hex-digit style, such as eni-0a1b….
func awsID(prefix, name string) string {
	return prefix + "-0" + hexID(prefix+"/"+name, 16)
}

var theEstate = sync.OnceValue(newEstate)

type subnetDef struct {
	id     string
	vpc    string
	az     string
	prefix string // first three octets of the /24
}

func newEstate() *estate {
	e := &estate{byName: map[string]int{}}
	vpcProd := awsID("vpc", "prod")
	vpcAnalytics := awsID("vpc", "analytics")
	vpcDR := awsID("vpc", "dr")
	public := subnetDef{awsID("subnet", "prod-public"), vpcProd, "use1-az1", "10.0.1."}
	app := subnetDef{awsID("subnet", "prod-app"), vpcProd, "use1-az2", "10.0.2."}
	data := subnetDef{awsID("subnet", "prod-data"), vpcProd, "use1-az4", "10.0.3."}
	ecs := subnetDef{awsID("subnet", "prod-ecs"), vpcProd, "use1-az1", "10.0.4."}
	workers := subnetDef{awsID("subnet", "analytics-workers"), vpcAnalytics, "use1-az2", "10.1.1."}
	dr := subnetDef{awsID("subnet", "dr-db"), vpcDR, "euw1-az1", "10.1.130."}

	e.flowLogs = []*flowLog{
		flProd:      {name: "prod", account: accountProd, region: regionUSEast1, header: formatV5, window: 60, layout: LayoutHiveHourly},
		flAnalytics: {name: "analytics", account: accountAnalytics, region: regionUSEast1, header: formatDefault, window: 600, layout: LayoutDefault},
		flECS:       {name: "ecs", account: accountProd, region: regionUSEast1, header: formatECS, window: 60, layout: LayoutHourly, nameOffset: 120},
		flTGW:       {name: "tgw", account: accountProd, region: regionUSEast1, header: formatTGW, window: 60, layout: LayoutHive},
		flDR:        {name: "dr", account: accountAnalytics, region: regionEUWest1, header: formatV4, window: 600, layout: LayoutDefault, nameOffset: 60},
	}
	for i, fl := range e.flowLogs {
		fl.id = awsID("fl", fl.name)
		fl.fields = parseFormat(fl.header)
		fl.version = strconv.Itoa(formatVersion(fl.fields))
		fl.table = dataset.FlowsTable
		if i == flTGW {
			fl.table = dataset.TGWFlowsTable
		}
	}

	add := func(o *observer) *observer {
		fl := e.flowLogs[o.flowLog]
		o.account, o.region, o.window = fl.account, fl.region, fl.window
		if o.eni == "" {
			o.eni = awsID("eni", o.name)
		}
		if fl.window == 600 && fl.name != "dr" && len(fl.observers)%2 == 1 {
			o.phase = 300
		}
		e.byName[o.name] = len(e.observers)
		fl.observers = append(fl.observers, len(e.observers))
		e.observers = append(e.observers, o)
		return o
	}
	instance := func(name string, fl int, sn subnetDef, host int) *observer {
		return add(&observer{
			name: name, flowLog: fl, vpc: sn.vpc, subnet: sn.id, az: sn.az,
			instance: awsID("i", name),
			ip4:      netip.MustParseAddr(sn.prefix + strconv.Itoa(host)),
		})
	}
	managed := func(name string, fl int, sn subnetDef, host int) *observer {
		o := instance(name, fl, sn, host)
		o.instance = "-"
		return o
	}

	// Production VPC, public subnet: bastion, public API, mail and SFTP
	// relay, two load-balancer ENIs and the NAT gateway.
	instance("bastion-a", flProd, public, 10)
	instance("api", flProd, public, 20).ip6 = netip.MustParseAddr("2001:db8:1000:1::20")
	instance("relay", flProd, public, 30)
	managed("alb-1", flProd, public, 101).ip6 = netip.MustParseAddr("2001:db8:1000:1::a1")
	managed("alb-2", flProd, public, 102).ip6 = netip.MustParseAddr("2001:db8:1000:1::a2")
	managed("nat", flProd, public, 200)
	// Application subnet.
	for i := 1; i <= appServers; i++ {
		instance(appName(i), flProd, app, 10+i)
	}
	instance("dns-a", flProd, app, 53)
	instance("spare", flProd, app, 99).quiet = true
	// Data subnet.
	instance("pg-primary", flProd, data, 10)
	instance("pg-replica", flProd, data, 11)
	instance("mysql", flProd, data, 20)
	instance("etl", flProd, data, 30)
	instance("backup", flProd, data, 40)

	// ECS subnet: each awsvpc task has its own ENI.
	cluster := "prod"
	clusterARN := "arn:aws:ecs:us-east-1:" + accountProd + ":cluster/" + cluster
	containerInstance := hexID("container-instance", 32)
	task := func(name string, host int, service, family string, revision int, fargate, sidecar bool) *observer {
		o := instance(name, flECS, ecs, host)
		taskID := hexID("task/"+name, 32)
		t := &ecsTask{
			clusterARN:           clusterARN,
			clusterName:          cluster,
			containerInstanceARN: "arn:aws:ecs:us-east-1:" + accountProd + ":container-instance/" + cluster + "/" + containerInstance,
			containerInstanceID:  containerInstance,
			containerID:          hexID("container/"+name, 64),
			secondContainerID:    "-",
			serviceName:          service,
			taskDefinitionARN:    "arn:aws:ecs:us-east-1:" + accountProd + ":task-definition/" + family + ":" + strconv.Itoa(revision),
			taskARN:              "arn:aws:ecs:us-east-1:" + accountProd + ":task/" + cluster + "/" + taskID,
			taskID:               taskID,
		}
		if fargate {
			// Fargate has no container instance and names containers by
			// task id and a number.
			o.instance = "-"
			t.containerInstanceARN, t.containerInstanceID = "-", "-"
			t.containerID = taskID + "-" + strconv.FormatUint(hashString(name, 1)%9_000_000_000+1_000_000_000, 10)
			if sidecar {
				t.secondContainerID = taskID + "-" + strconv.FormatUint(hashString(name, 2)%9_000_000_000+1_000_000_000, 10)
			}
		} else {
			o.instance = awsID("i", "ecs-container-instance")
		}
		o.ecs = t
		return o
	}
	for i := 1; i <= ordersTasks; i++ {
		task("orders-"+strconv.Itoa(i), 10+i, "orders-api", "orders-api", 17, true, true)
	}
	for i := 1; i <= reportTasks; i++ {
		task("report-"+strconv.Itoa(i), 20+i, "report-worker", "report-worker", 5, false, false)
	}
	task("edge", 31, "edge-proxy", "edge-proxy", 3, true, false).bpa = true

	// Analytics VPC (second account, same region), reached through the
	// Transit Gateway.
	instance("bastion-b", flAnalytics, workers, 10)
	for i := 1; i <= analyticsWorkers; i++ {
		instance(workerName(i), flAnalytics, workers, 20+i)
	}
	instance("dns-b", flAnalytics, workers, 53)

	// Disaster-recovery VPC in a second region: quiet standbys.
	for i := 1; i <= 3; i++ {
		instance("standby-"+strconv.Itoa(i), flDR, dr, 9+i).quiet = true
	}

	// Transit Gateway attachments; their ENIs sit in small subnets without
	// flow logs of their own.
	e.tgwID = awsID("tgw", "core")
	attach := func(name, account, vpc, az string) {
		add(&observer{
			name: name, flowLog: flTGW, vpc: vpc, az: az, instance: "-",
			attachment: &tgwAttachment{
				id: awsID("tgw-attach", name), vpcAccount: account, vpc: vpc,
				subnet: awsID("subnet", name), eni: awsID("eni", name), az: az,
			},
		})
	}
	attach("tgw-prod", accountProd, vpcProd, "use1-az1")
	attach("tgw-analytics", accountAnalytics, vpcAnalytics, "use1-az2")
	return e
}

const (
	appServers       = 6
	ordersTasks      = 3
	reportTasks      = 2
	analyticsWorkers = 5
)

func appName(i int) string    { return "app-0" + strconv.Itoa(i) }
func workerName(i int) string { return "worker-0" + strconv.Itoa(i) }
