package sample

import (
	"strconv"
)

// Values of log-status.
const (
	statusOK = iota
	statusNoData
	statusSkipData
	statusCount
)

var statusNames = [statusCount]string{"OK", "NODATA", "SKIPDATA"}

// record is one line to write. leg and conv are nil for NODATA and
// SKIPDATA records, whose traffic fields are all '-'.
type record struct {
	status  uint8
	start   int64
	end     int64
	packets int64
	bytes   int64
	flags   uint8
	conv    *conv
	leg     *leg
}

// appendRecord appends one line in the flow log's format.
func (g *generator) appendRecord(b []byte, fl *flowLog, o *observer, r *record) []byte {
	for i, f := range fl.fields {
		if i > 0 {
			b = append(b, ' ')
		}
		b = g.appendField(b, f, fl, o, r)
	}
	return append(b, '\n')
}

// appendField is the hot path of generation: one switch per field, no
// allocation.
func (g *generator) appendField(b []byte, f field, fl *flowLog, o *observer, r *record) []byte {
	// Identity fields are set in every record.
	switch f {
	case fVersion:
		return append(b, fl.version...)
	case fAccountID:
		return append(b, o.account...)
	case fInterfaceID:
		return append(b, o.eni...)
	case fStart:
		return strconv.AppendInt(b, r.start, 10)
	case fEnd:
		return strconv.AppendInt(b, r.end, 10)
	case fLogStatus:
		return append(b, statusNames[r.status]...)
	case fVpcID:
		return append(b, o.vpc...)
	case fSubnetID:
		return append(b, o.subnet...)
	case fInstanceID:
		return append(b, o.instance...)
	case fRegion:
		return append(b, o.region...)
	case fAzID:
		return append(b, o.az...)
	case fSublocationType, fSublocationID:
		return append(b, '-')
	case fECSClusterARN, fECSClusterName, fECSContainerInstanceARN, fECSContainerInstanceID,
		fECSContainerID, fECSSecondContainerID, fECSServiceName, fECSTaskDefinitionARN,
		fECSTaskARN, fECSTaskID:
		return appendECS(b, f, o.ecs)
	case fResourceType:
		return append(b, "TransitGateway"...)
	case fTGWID:
		return append(b, g.est.tgwID...)
	case fTGWAttachmentID:
		return append(b, o.attachment.id...)
	}

	l := r.leg
	if l == nil {
		return append(b, '-')
	}
	c := r.conv
	switch f {
	case fSrcAddr:
		return l.src.AppendTo(b)
	case fDstAddr:
		return l.dst.AppendTo(b)
	case fSrcPort:
		return strconv.AppendUint(b, uint64(l.srcPort), 10)
	case fDstPort:
		return strconv.AppendUint(b, uint64(l.dstPort), 10)
	case fProtocol:
		return strconv.AppendUint(b, uint64(c.proto), 10)
	case fPackets:
		return strconv.AppendInt(b, r.packets, 10)
	case fBytes:
		if c.bpa && l.reject {
			return append(b, '-')
		}
		return strconv.AppendInt(b, r.bytes, 10)
	case fAction:
		if l.reject {
			return append(b, "REJECT"...)
		}
		return append(b, "ACCEPT"...)
	case fTCPFlags:
		return strconv.AppendUint(b, uint64(r.flags), 10)
	case fType:
		if l.src.Is4() {
			return append(b, "IPv4"...)
		}
		return append(b, "IPv6"...)
	case fPktSrcAddr:
		return l.pktSrc.AppendTo(b)
	case fPktDstAddr:
		return l.pktDst.AppendTo(b)
	case fPktSrcAWSService:
		return append(b, awsServices[l.srcService]...)
	case fPktDstAWSService:
		return append(b, awsServices[l.dstService]...)
	case fFlowDirection:
		if l.egress {
			return append(b, "egress"...)
		}
		return append(b, "ingress"...)
	case fTrafficPath:
		if !l.egress || l.path == 0 {
			return append(b, '-')
		}
		return strconv.AppendUint(b, uint64(l.path), 10)
	case fRejectReason:
		if c.bpa && l.reject {
			return append(b, "BPA"...)
		}
		return append(b, '-')
	case fTGWSrcVpcAccountID, fTGWSrcVpcID, fTGWSrcSubnetID, fTGWSrcENI, fTGWSrcAzID:
		return g.appendAttachment(b, f, l.tgwSrc)
	case fTGWDstVpcAccountID, fTGWDstVpcID, fTGWDstSubnetID, fTGWDstENI, fTGWDstAzID:
		return g.appendAttachment(b, f, l.tgwDst)
	case fTGWPairAttachmentID:
		// The pair is the attachment at the other end from the observer.
		pair := l.tgwDst
		if l.tgwDst == l.obs {
			pair = l.tgwSrc
		}
		if pair < 0 {
			return append(b, '-')
		}
		return append(b, g.est.observers[pair].attachment.id...)
	case fPacketsLostBlackhole:
		if l.blackhole {
			return strconv.AppendInt(b, r.packets, 10)
		}
		return append(b, '0')
	case fPacketsLostNoRoute, fPacketsLostMTUExceeded, fPacketsLostTTLExpired:
		return append(b, '0')
	}
	return append(b, '-')
}

func appendECS(b []byte, f field, t *ecsTask) []byte {
	if t == nil {
		return append(b, '-')
	}
	var v string
	switch f {
	case fECSClusterARN:
		v = t.clusterARN
	case fECSClusterName:
		v = t.clusterName
	case fECSContainerInstanceARN:
		v = t.containerInstanceARN
	case fECSContainerInstanceID:
		v = t.containerInstanceID
	case fECSContainerID:
		v = t.containerID
	case fECSSecondContainerID:
		v = t.secondContainerID
	case fECSServiceName:
		v = t.serviceName
	case fECSTaskDefinitionARN:
		v = t.taskDefinitionARN
	case fECSTaskARN:
		v = t.taskARN
	case fECSTaskID:
		v = t.taskID
	}
	return append(b, v...)
}

// appendAttachment writes one side of a Transit Gateway record: the VPC
// account, VPC, subnet, ENI or AZ of the attachment at observer index i.
func (g *generator) appendAttachment(b []byte, f field, i int16) []byte {
	if i < 0 {
		return append(b, '-')
	}
	a := g.est.observers[i].attachment
	var v string
	switch f {
	case fTGWSrcVpcAccountID, fTGWDstVpcAccountID:
		v = a.vpcAccount
	case fTGWSrcVpcID, fTGWDstVpcID:
		v = a.vpc
	case fTGWSrcSubnetID, fTGWDstSubnetID:
		v = a.subnet
	case fTGWSrcENI, fTGWDstENI:
		v = a.eni
	case fTGWSrcAzID, fTGWDstAzID:
		v = a.az
	}
	return append(b, v...)
}
