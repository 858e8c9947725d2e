package convert

import (
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/internal/dataset"
)

// parseLines runs the line parser over text and returns the sink and the rejects.
func parseLines(t testing.TB, text string) (*objectSink, []Reject, error) {
	t.Helper()
	sink := newObjectSink(1<<30, nil)
	var rejects []Reject
	obj := Object{Key: "k.log", Modified: time.Unix(1700000000, 0)}
	p := newLineParser(obj, KeyInfo{Hour: -1}, sink, func(r Reject) error {
		rejects = append(rejects, r)
		return nil
	})
	err := p.parseText(strings.NewReader(text))
	return sink, rejects, err
}

func sinkRows(s *objectSink) int {
	n := 0
	for _, b := range s.parts {
		n += b.rows
	}
	return n
}

const defaultHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

func TestParseRecordRejectsBadValues(t *testing.T) {
	good := "2 123456789012 eni-1 10.0.1.10 198.51.100.7 49152 443 6 10 8400 1700000000 1700000060 ACCEPT OK"
	cases := []struct {
		name, line, reason string
	}{
		{"letters in bytes", strings.Replace(good, " 8400 ", " 84x0 ", 1), `invalid value "84x0" for bytes`},
		{"port above 65535", strings.Replace(good, " 443 ", " 70000 ", 1), "value 70000 for dstport is out of range 0-65535"},
		{"protocol above 255", strings.Replace(good, " 6 10 ", " 300 10 ", 1), "value 300 for protocol is out of range 0-255"},
		{"negative packets", strings.Replace(good, " 10 8400 ", " -10 8400 ", 1), `invalid value "-10" for packets`},
		{"double space", strings.Replace(good, " ACCEPT", "  ACCEPT", 1), "too many columns"},
		{"trailing space", good + " ", "line ends with a space"},
		{"one field short", strings.TrimSuffix(good, " OK"), "missing columns, expected 14, got 13"},
	}
	for _, c := range cases {
		sink, rejects, err := parseLines(t, lines(defaultHeader, good, c.line))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if sinkRows(sink) != 1 {
			t.Errorf("%s: rows = %d, want 1", c.name, sinkRows(sink))
		}
		if len(rejects) != 1 || !strings.Contains(rejects[0].Reason, c.reason) || rejects[0].Line != 3 || rejects[0].Raw != c.line {
			t.Errorf("%s: rejects = %+v, want line 3 with %q", c.name, rejects, c.reason)
		}
	}
}

func TestParseRecordNeverShiftsColumns(t *testing.T) {
	sink, rejects, err := parseLines(t, lines(defaultHeader,
		"2 123456789012 eni-1 10.0.1.10 198.51.100.7 49152 443 6 10 8400 1700000000 1700000060 ACCEPT",
		"2 123456789012 eni-1 10.0.1.10 198.51.100.7 49152 443 6 10 8400 1700000000 1700000060 ACCEPT OK"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rejects) != 1 {
		t.Fatalf("rejects = %d, want 1", len(rejects))
	}
	for _, b := range sink.parts {
		b.complete()
		for i := range b.cols {
			if !b.stores(i) {
				if len(b.cols[i].valid) != 0 {
					t.Errorf("column %s, which the writer fills, has %d values in the batch", b.schema.name(i), len(b.cols[i].valid))
				}
				continue
			}
			if len(b.cols[i].valid) != b.rows {
				t.Errorf("column %s has %d values for %d rows", b.schema.name(i), len(b.cols[i].valid), b.rows)
			}
		}
	}
}

func TestParseMillisecondTimes(t *testing.T) {
	sink, _, err := parseLines(t, lines(defaultHeader,
		"2 123456789012 eni-1 10.0.1.10 198.51.100.7 49152 443 6 10 8400 1700000000000 1700000060000 ACCEPT OK"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range sink.parts {
		start := b.cols[dataset.Flows.ColumnIndex("start")]
		if start.ints[0] != 1700000000 {
			t.Errorf("start = %d, want 1700000000", start.ints[0])
		}
	}
}

func TestParseHeaderErrors(t *testing.T) {
	for _, text := range []string{
		"",
		"hello world\n1 2\n",
		"version version\n",
		"{\"json\": true}\n",
	} {
		if _, _, err := parseLines(t, text); err == nil {
			t.Errorf("%q: no error", text)
		}
	}
}

func TestParseConcatenatedFilesSwitchHeader(t *testing.T) {
	other := "version srcaddr dstaddr bytes packets start end log-status"
	sink, rejects, err := parseLines(t, lines(defaultHeader,
		"2 123456789012 eni-1 10.0.1.10 198.51.100.7 49152 443 6 10 8400 1700000000 1700000060 ACCEPT OK",
		other,
		"3 10.0.0.1 10.0.0.2 180 3 1700000000 1700000060 OK",
		defaultHeader,
		"2 123456789012 eni-1 10.0.1.10 198.51.100.7 49152 443 6 10 8400 1700000000 1700000060 ACCEPT OK"))
	if err != nil || len(rejects) != 0 {
		t.Fatalf("err=%v rejects=%v", err, rejects)
	}
	if sinkRows(sink) != 3 {
		t.Errorf("rows = %d, want 3", sinkRows(sink))
	}
}

func TestParseTransitGatewayGoesToItsTable(t *testing.T) {
	header := "version resource-type account-id tgw-id tgw-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route"
	sink, rejects, err := parseLines(t, lines(header,
		"6 TransitGateway 123456789012 tgw-1 tgw-attach-1 10.0.0.1 10.1.0.1 443 50000 6 10 5000 1700000000 1700000060 OK IPv4 0"))
	if err != nil || len(rejects) != 0 {
		t.Fatalf("err=%v rejects=%v", err, rejects)
	}
	for k, b := range sink.parts {
		if b.schema.table != dataset.TGWFlows || k.account != "123456789012" {
			t.Errorf("partition %+v of table %s, want tgw_flows", k, b.schema.table.Name)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add("2 123456789012 eni-1 10.0.1.10 198.51.100.7 49152 443 6 10 8400 1700000000 1700000060 ACCEPT OK")
	f.Add("2 123456789012 eni-1 - - - - - - - 1700000060 1700000120 - NODATA")
	f.Add("2 unknown eni-1 2001:db8::1 2001:db8::2 1 2 58 1 1 99999999999999 1 REJECT OK")
	f.Add("version account-id")
	f.Fuzz(func(t *testing.T, line string) {
		sink, rejects, err := parseLines(t, defaultHeader+"\n"+line+"\n")
		if err != nil {
			return
		}
		rows := sinkRows(sink)
		if rows+len(rejects) > strings.Count(line, "\n")+1 {
			t.Fatalf("%d rows and %d rejects from one line", rows, len(rejects))
		}
		for _, b := range sink.parts {
			b.complete()
			for i := range b.cols {
				c := &b.cols[i]
				if !b.stores(i) && len(c.valid) != 0 {
					t.Fatalf("column %s, which the writer fills, has %d values in the batch", b.schema.name(i), len(c.valid))
				}
				if b.stores(i) && len(c.valid) != b.rows {
					t.Fatalf("column %d has %d values for %d rows", i, len(c.valid), b.rows)
				}
				for r := 0; r < b.rows && c.kind == dataset.String && b.stores(i); r++ {
					if c.valid[r] && string(c.str(r)) == "-" {
						t.Fatalf("'-' stored as a value in %s", b.schema.name(i))
					}
				}
				if c.kind != dataset.String && b.stores(i) {
					for r := 0; r < b.rows; r++ {
						if c.ints[r] < 0 {
							t.Fatalf("negative value %d in %s", c.ints[r], b.schema.name(i))
						}
					}
				}
			}
		}
	})
}

func TestParseHeaderRejectsRepeatedColumns(t *testing.T) {
	for _, tc := range []struct{ extra, want string }{
		{"src-private", `header field "src-private" would be column "src_private", which table flows already has`},
		{"source-key", `header field "source-key" would be column "source_key", which table flows already has`},
		{"account_id", `header field "account_id" would be column "account_id", which table flows already has`},
		{"x-a x_a", `header fields "x-a" and "x_a" would both be column "x_a"`},
	} {
		_, err := parseHeader([]byte(defaultHeader + " " + tc.extra))
		if err == nil || err.Error() != tc.want {
			t.Errorf("parseHeader with %q: error %v, want %q", tc.extra, err, tc.want)
		}
	}
	if _, err := parseHeader([]byte(defaultHeader + " x-a x-b")); err != nil {
		t.Errorf("parseHeader with two distinct unknown fields: %v", err)
	}
}
