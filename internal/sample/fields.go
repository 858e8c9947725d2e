package sample

import (
	"strings"
)

// field identifies one flow-log field. The record writer switches on it, so
// formatting a line needs no map lookups or reflection.
type field uint8

const (
	fVersion field = iota
	fAccountID
	fInterfaceID
	fSrcAddr
	fDstAddr
	fSrcPort
	fDstPort
	fProtocol
	fPackets
	fBytes
	fStart
	fEnd
	fAction
	fLogStatus
	fVpcID
	fSubnetID
	fInstanceID
	fTCPFlags
	fType
	fPktSrcAddr
	fPktDstAddr
	fRegion
	fAzID
	fSublocationType
	fSublocationID
	fPktSrcAWSService
	fPktDstAWSService
	fFlowDirection
	fTrafficPath
	fECSClusterARN
	fECSClusterName
	fECSContainerInstanceARN
	fECSContainerInstanceID
	fECSContainerID
	fECSSecondContainerID
	fECSServiceName
	fECSTaskDefinitionARN
	fECSTaskARN
	fECSTaskID
	fRejectReason
	// Transit Gateway fields.
	fResourceType
	fTGWID
	fTGWAttachmentID
	fTGWSrcVpcAccountID
	fTGWDstVpcAccountID
	fTGWSrcVpcID
	fTGWDstVpcID
	fTGWSrcSubnetID
	fTGWDstSubnetID
	fTGWSrcENI
	fTGWDstENI
	fTGWSrcAzID
	fTGWDstAzID
	fTGWPairAttachmentID
	fPacketsLostNoRoute
	fPacketsLostBlackhole
	fPacketsLostMTUExceeded
	fPacketsLostTTLExpired
	fieldCount
)

// fieldInfo is the header name of a field and the format version that
// introduced it. A custom format's version is the highest of its fields'.
var fieldInfo = [fieldCount]struct {
	name    string
	version int
}{
	fVersion:                 {"version", 2},
	fAccountID:               {"account-id", 2},
	fInterfaceID:             {"interface-id", 2},
	fSrcAddr:                 {"srcaddr", 2},
	fDstAddr:                 {"dstaddr", 2},
	fSrcPort:                 {"srcport", 2},
	fDstPort:                 {"dstport", 2},
	fProtocol:                {"protocol", 2},
	fPackets:                 {"packets", 2},
	fBytes:                   {"bytes", 2},
	fStart:                   {"start", 2},
	fEnd:                     {"end", 2},
	fAction:                  {"action", 2},
	fLogStatus:               {"log-status", 2},
	fVpcID:                   {"vpc-id", 3},
	fSubnetID:                {"subnet-id", 3},
	fInstanceID:              {"instance-id", 3},
	fTCPFlags:                {"tcp-flags", 3},
	fType:                    {"type", 3},
	fPktSrcAddr:              {"pkt-srcaddr", 3},
	fPktDstAddr:              {"pkt-dstaddr", 3},
	fRegion:                  {"region", 4},
	fAzID:                    {"az-id", 4},
	fSublocationType:         {"sublocation-type", 4},
	fSublocationID:           {"sublocation-id", 4},
	fPktSrcAWSService:        {"pkt-src-aws-service", 5},
	fPktDstAWSService:        {"pkt-dst-aws-service", 5},
	fFlowDirection:           {"flow-direction", 5},
	fTrafficPath:             {"traffic-path", 5},
	fECSClusterARN:           {"ecs-cluster-arn", 7},
	fECSClusterName:          {"ecs-cluster-name", 7},
	fECSContainerInstanceARN: {"ecs-container-instance-arn", 7},
	fECSContainerInstanceID:  {"ecs-container-instance-id", 7},
	fECSContainerID:          {"ecs-container-id", 7},
	fECSSecondContainerID:    {"ecs-second-container-id", 7},
	fECSServiceName:          {"ecs-service-name", 7},
	fECSTaskDefinitionARN:    {"ecs-task-definition-arn", 7},
	fECSTaskARN:              {"ecs-task-arn", 7},
	fECSTaskID:               {"ecs-task-id", 7},
	fRejectReason:            {"reject-reason", 8},
	fResourceType:            {"resource-type", 2},
	fTGWID:                   {"tgw-id", 2},
	fTGWAttachmentID:         {"tgw-attachment-id", 2},
	fTGWSrcVpcAccountID:      {"tgw-src-vpc-account-id", 2},
	fTGWDstVpcAccountID:      {"tgw-dst-vpc-account-id", 2},
	fTGWSrcVpcID:             {"tgw-src-vpc-id", 2},
	fTGWDstVpcID:             {"tgw-dst-vpc-id", 2},
	fTGWSrcSubnetID:          {"tgw-src-subnet-id", 2},
	fTGWDstSubnetID:          {"tgw-dst-subnet-id", 2},
	fTGWSrcENI:               {"tgw-src-eni", 2},
	fTGWDstENI:               {"tgw-dst-eni", 2},
	fTGWSrcAzID:              {"tgw-src-az-id", 2},
	fTGWDstAzID:              {"tgw-dst-az-id", 2},
	fTGWPairAttachmentID:     {"tgw-pair-attachment-id", 6},
	fPacketsLostNoRoute:      {"packets-lost-no-route", 6},
	fPacketsLostBlackhole:    {"packets-lost-blackhole", 6},
	fPacketsLostMTUExceeded:  {"packets-lost-mtu-exceeded", 6},
	fPacketsLostTTLExpired:   {"packets-lost-ttl-expired", 6},
}

// Formats of the flow logs in the estate, as the header line names them.
const (
	// formatDefault is AWS's default format: the 14 version 2 fields.
	formatDefault = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

	// formatV5 has every field of versions 2 to 5, in an order unlike the default.
	formatV5 = "region az-id vpc-id subnet-id instance-id interface-id account-id type " +
		"srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end " +
		"action tcp-flags log-status flow-direction traffic-path pkt-src-aws-service pkt-dst-aws-service " +
		"sublocation-type sublocation-id version"

	// formatECS adds the version 7 ECS fields and the version 8 reject-reason.
	formatECS = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end " +
		"action log-status instance-id vpc-id subnet-id flow-direction tcp-flags " +
		"ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id " +
		"ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn " +
		"ecs-task-arn ecs-task-id reject-reason"

	// formatV4 is a short custom format with the version 3 and 4 identity fields.
	formatV4 = "version account-id interface-id instance-id vpc-id subnet-id az-id region " +
		"srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags type"

	// formatTGW is every Transit Gateway field, in AWS's default order.
	formatTGW = "version resource-type account-id tgw-id tgw-attachment-id " +
		"tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id " +
		"tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id " +
		"tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end " +
		"log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded " +
		"packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service"
)

// parseFormat turns a header line into fields. The formats are constants of
// this package, so an unknown name is a bug and panics.
func parseFormat(header string) []field {
	names := strings.Fields(header)
	fields := make([]field, 0, len(names))
	for _, name := range names {
		found := false
		for f := field(0); f < fieldCount; f++ {
			if fieldInfo[f].name == name {
				fields = append(fields, f)
				found = true
				break
			}
		}
		if !found {
			panic("sample: BUG: unknown field " + name + " in a built-in format")
		}
	}
	return fields
}

// formatVersion returns the version a flow log with these fields writes:
// 2 for the default format, otherwise the highest version among the fields.
func formatVersion(fields []field) int {
	v := 2
	for _, f := range fields {
		v = max(v, fieldInfo[f].version)
	}
	return v
}
