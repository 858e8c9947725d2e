package sample

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"
)

// objectKey returns the key of one flow-log object: the prefix, the
// layout's folders and <account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash8>.log.gz.
// part numbers the objects that split one flow log's 5 minutes, and each
// part gets its own hash, as AWS's names do.
func (g *generator) objectKey(fl *flowLog, fileTime int64, part int) string {
	t := time.Unix(fileTime, 0).UTC()
	year, month, day := t.Date()
	b := make([]byte, 0, 192)
	b = append(b, g.opt.Prefix...)
	b = append(b, "AWSLogs/"...)

	switch fl.layout {
	case LayoutHive, LayoutHiveHourly:
		b = append(b, "aws-account-id="...)
		b = append(b, fl.account...)
		b = append(b, "/aws-service=vpcflowlogs/aws-region="...)
		b = append(b, fl.region...)
		b = append(b, "/year="...)
		b = appendPadded(b, year, 4)
		b = append(b, "/month="...)
		b = appendPadded(b, int(month), 2)
		b = append(b, "/day="...)
		b = appendPadded(b, day, 2)
		b = append(b, '/')
		if fl.layout == LayoutHiveHourly {
			b = append(b, "hour="...)
			b = appendPadded(b, t.Hour(), 2)
			b = append(b, '/')
		}
	default:
		b = append(b, fl.account...)
		b = append(b, "/vpcflowlogs/"...)
		b = append(b, fl.region...)
		b = append(b, '/')
		b = appendPadded(b, year, 4)
		b = append(b, '/')
		b = appendPadded(b, int(month), 2)
		b = append(b, '/')
		b = appendPadded(b, day, 2)
		b = append(b, '/')
		if fl.layout == LayoutHourly {
			b = appendPadded(b, t.Hour(), 2)
			b = append(b, '/')
		}
	}

	b = append(b, fl.account...)
	b = append(b, "_vpcflowlogs_"...)
	b = append(b, fl.region...)
	b = append(b, '_')
	b = append(b, fl.id...)
	b = append(b, '_')
	b = appendFileTime(b, t)
	b = append(b, '_')
	hash := hashString(fl.id, g.seed^uint64(fileTime)*0x9e3779b97f4a7c15^uint64(part))
	b = appendHex(b, hash, 8)
	b = append(b, ".log.gz"...)
	return string(b)
}

// appendFileTime appends the YYYYMMDDTHHmmZ form of file names.
func appendFileTime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	b = appendPadded(b, year, 4)
	b = appendPadded(b, int(month), 2)
	b = appendPadded(b, day, 2)
	b = append(b, 'T')
	b = appendPadded(b, t.Hour(), 2)
	b = appendPadded(b, t.Minute(), 2)
	return append(b, 'Z')
}

func appendPadded(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendHex appends the low n hex digits of v, zero-padded.
func appendHex(b []byte, v uint64, n int) []byte {
	const digits = "0123456789abcdef"
	for i := n - 1; i >= 0; i-- {
		b = append(b, digits[(v>>(4*uint(i)))&0xf])
	}
	return b
}

// otherObject is an object in the bucket that is not a flow log.
type otherObject struct {
	key  string
	body []byte
}

// otherObjects returns what else a real log bucket holds next to flow
// logs: a folder marker that a console user created and a CloudTrail log
// with the API call that created a flow log.
func (g *generator) otherObjects() ([]otherObject, error) {
	marker := otherObject{key: g.opt.Prefix + "AWSLogs/" + accountProd + "/vpcflowlogs/"}

	at := time.Unix(g.start+10*60, 0).UTC()
	flowLogID := g.flowLogs[flProd].id
	event := map[string]any{
		"eventVersion":    "1.09",
		"eventTime":       at.Add(-15 * time.Minute).Format(time.RFC3339),
		"eventSource":     "ec2.amazonaws.com",
		"eventName":       "CreateFlowLogs",
		"awsRegion":       regionUSEast1,
		"eventType":       "AwsApiCall",
		"readOnly":        false,
		"eventID":         hexID("cloudtrail-event", 8) + "-" + hexID("cloudtrail-event-2", 4) + "-4" + hexID("cloudtrail-event-3", 3) + "-a" + hexID("cloudtrail-event-4", 3) + "-" + hexID("cloudtrail-event-5", 12),
		"sourceIPAddress": officeAddrs[0].String(),
		"userAgent":       "aws-cli/2.22.0",
		"userIdentity": map[string]any{
			"type":      "AssumedRole",
			"accountId": accountProd,
			"arn":       "arn:aws:sts::" + accountProd + ":assumed-role/NetworkAdmin/ops",
		},
		"requestParameters": map[string]any{
			"CreateFlowLogsRequest": map[string]any{
				"ResourceId":         map[string]any{"tag": 1, "content": g.est.observers[g.ix.bastionA].vpc},
				"ResourceType":       "VPC",
				"TrafficType":        "ALL",
				"LogDestinationType": "s3",
				"LogFormat":          "${" + joinFields(g.flowLogs[flProd].fields, "} ${") + "}",
			},
		},
		"responseElements":   map[string]any{"CreateFlowLogsResponse": map[string]any{"flowLogIdSet": map[string]any{"item": flowLogID}}},
		"recipientAccountId": accountProd,
	}
	text, err := json.Marshal(map[string]any{"Records": []any{event}})
	if err != nil {
		return nil, fmt.Errorf("sample: encode CloudTrail event: %w", err)
	}
	var body bytes.Buffer
	zw, err := gzip.NewWriterLevel(&body, g.opt.GzipLevel)
	if err != nil {
		return nil, fmt.Errorf("sample: gzip level %q: %w", strconv.Itoa(g.opt.GzipLevel), err)
	}
	if _, err := zw.Write(text); err != nil {
		return nil, fmt.Errorf("sample: compress CloudTrail log: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("sample: compress CloudTrail log: %w", err)
	}
	b := []byte(g.opt.Prefix + "AWSLogs/" + accountProd + "/CloudTrail/" + regionUSEast1 + "/")
	year, month, day := at.Date()
	b = appendPadded(b, year, 4)
	b = append(b, '/')
	b = appendPadded(b, int(month), 2)
	b = append(b, '/')
	b = appendPadded(b, day, 2)
	b = append(b, '/')
	b = append(b, accountProd+"_CloudTrail_"+regionUSEast1+"_"...)
	b = appendFileTime(b, at)
	b = append(b, '_')
	b = append(b, hexID("cloudtrail-file", 16)...)
	b = append(b, ".json.gz"...)
	trail := otherObject{key: string(b), body: body.Bytes()}
	return []otherObject{marker, trail}, nil
}

func joinFields(fields []field, sep string) string {
	var b []byte
	for i, f := range fields {
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, fieldInfo[f].name...)
	}
	return string(b)
}
