package notebooks

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const hostNotebook = "---\n" +
	"title: Traffic of one host\n" +
	"description: \"Peers, ports: and volume\"\n" +
	"params:\n" +
	"  ip:\n" +
	"  limit: 10\n" +
	"  port: \"443\"\n" +
	"---\n" +
	"# Host\n" +
	"\n" +
	"Prose with a shell example that is not a cell:\n" +
	"\n" +
	"````markdown\n" +
	"```sql name=hidden\n" +
	"SELECT 1\n" +
	"```\n" +
	"````\n" +
	"\n" +
	"```sql name=peers chart=bar x=peer y=bytes\n" +
	"SELECT dstaddr AS peer, sum(bytes) AS bytes\n" +
	"FROM flows -- {{ignored}} in a comment\n" +
	"WHERE srcaddr = {{ip}} AND dstport = {{ port }} AND start_time >= {{since}}\n" +
	"GROUP BY peer ORDER BY bytes DESC LIMIT {{limit}}\n" +
	"```\n" +
	"\n" +
	"```sql\n" +
	"SELECT count(*) FROM peers JOIN \"peers\" p2 USING (peer) WHERE p2.peer <> 'from peers'\n" +
	"```\n" +
	"Closing prose.\n"

func TestParseHostNotebook(t *testing.T) {
	nb, err := Parse("host.md", []byte(hostNotebook))
	if err != nil {
		t.Fatal(err)
	}
	if nb.Title != "Traffic of one host" {
		t.Errorf("title = %q", nb.Title)
	}
	if nb.Description != "Peers, ports: and volume" {
		t.Errorf("description = %q", nb.Description)
	}
	wantParams := []Param{
		{Name: "ip", Required: true, Type: ParamString, Line: 5},
		{Name: "limit", Default: "10", Type: ParamInteger, Line: 6},
		{Name: "port", Default: "443", Type: ParamString, Line: 7},
	}
	if !reflect.DeepEqual(nb.Params, wantParams) {
		t.Errorf("params = %+v, want %+v", nb.Params, wantParams)
	}
	cells := nb.Cells()
	if len(cells) != 2 {
		t.Fatalf("cells = %d, want 2", len(cells))
	}
	peers := cells[0]
	if peers.Name != "peers" || peers.Line != 19 || peers.Index != 1 {
		t.Errorf("first cell = %q line %d index %d, want peers line 19 index 1", peers.Name, peers.Line, peers.Index)
	}
	if want := (Chart{Kind: ChartBar, X: "peer", Y: "bytes"}); peers.Chart != want {
		t.Errorf("chart = %+v, want %+v", peers.Chart, want)
	}
	if want := []string{"ip", "port", "since", "limit"}; !reflect.DeepEqual(peers.Params, want) {
		t.Errorf("params used = %v, want %v", peers.Params, want)
	}
	if got := peers.ParamLine("limit"); got != 23 {
		t.Errorf("line of {{limit}} = %d, want 23", got)
	}
	if !strings.HasPrefix(peers.SQL, "SELECT dstaddr") || strings.HasSuffix(peers.SQL, "\n") {
		t.Errorf("SQL = %q", peers.SQL)
	}
	second := cells[1]
	if second.Table() != "cell_2" {
		t.Errorf("unnamed cell table = %q, want cell_2", second.Table())
	}
	if want := []string{"peers"}; !reflect.DeepEqual(second.Refs, want) {
		t.Errorf("refs = %v, want %v", second.Refs, want)
	}
	if len(nb.Blocks) != 5 || nb.Blocks[4].Text != "Closing prose.\n" {
		t.Errorf("blocks = %+v", nb.Blocks)
	}
	if !strings.Contains(nb.Blocks[0].Text, "```sql name=hidden") {
		t.Errorf("a sql fence inside another fence was not kept as prose: %q", nb.Blocks[0].Text)
	}
}

func TestFormatRoundTrip(t *testing.T) {
	for _, src := range []string{
		hostNotebook,
		"",
		"just prose\nwithout newline",
		"```sql\nSELECT 1\n```\n",
		"---\n---\n---\nrule\n---\n",
		"---\ntitle: \"  spaced \"\ndescription: 'it''s'\n---\n~~~sql name=a\nSELECT '```'\n~~~\n",
		"```sql name=b\nSELECT 1\n```` \n````\n",
		"````sql name=c\n```\nSELECT 2\n````\n",
	} {
		nb, err := Parse("in.md", []byte(src))
		if err != nil {
			t.Fatalf("parse %q: %v", src, err)
		}
		out := Format(nb)
		again, err := Parse("in.md", out)
		if err != nil {
			t.Fatalf("parse formatted %q: %v", out, err)
		}
		if !sameNotebook(nb, again) {
			t.Errorf("round trip of %q changed the notebook:\nformatted %q", src, out)
		}
		if third := Format(again); !bytes.Equal(third, out) {
			t.Errorf("format is not stable: %q then %q", out, third)
		}
	}
}

func TestFormatKeepsCanonicalText(t *testing.T) {
	nb, err := Parse("host.md", []byte(hostNotebook))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(hostNotebook, "{{ port }}", "{{ port }}", 1)
	if got := string(Format(nb)); got != want {
		t.Errorf("Format changed canonical text:\n got %q\nwant %q", got, want)
	}
}

// sameNotebook compares two notebooks apart from line numbers.
func sameNotebook(a, b *Notebook) bool {
	if a.Title != b.Title || a.Description != b.Description || len(a.Params) != len(b.Params) || len(a.Blocks) != len(b.Blocks) {
		return false
	}
	for i := range a.Params {
		pa, pb := a.Params[i], b.Params[i]
		pa.Line, pb.Line = 0, 0
		if pa != pb {
			return false
		}
	}
	for i := range a.Blocks {
		x, y := a.Blocks[i], b.Blocks[i]
		if (x.Cell == nil) != (y.Cell == nil) || x.Text != y.Text {
			return false
		}
		if x.Cell == nil {
			continue
		}
		if x.Cell.Name != y.Cell.Name || x.Cell.SQL != y.Cell.SQL || x.Cell.Chart != y.Cell.Chart ||
			x.Cell.Index != y.Cell.Index || !reflect.DeepEqual(x.Cell.Params, y.Cell.Params) || !reflect.DeepEqual(x.Cell.Refs, y.Cell.Refs) {
			return false
		}
	}
	return true
}

func TestParseErrorsArePositioned(t *testing.T) {
	for _, tc := range []struct {
		src  string
		line int
		msg  string
	}{
		{"---\ntitle: x\n", 1, "front matter is not closed"},
		{"---\nauthor: me\n---\n", 2, `unknown front matter key "author"`},
		{"---\n  ip:\n---\n", 2, "unexpected indented line"},
		{"---\nparams:\n  ip:\n  ip: 1\n---\n", 4, `parameter "ip" is declared twice`},
		{"---\nparams:\n  since: 1\n---\n", 3, "set by --since and --until"},
		{"---\nparams:\n  Bad-Name: 1\n---\n", 3, "invalid parameter name"},
		{"---\ntitle: \"open\n---\n", 2, "invalid double-quoted value"},
		{"text\n\n```sql name=a\nSELECT 1\n", 3, "not closed"},
		{"```sql name=a\n\n```\n", 1, "has no SQL"},
		{"```sql name=Top\nSELECT 1\n```\n", 1, "invalid cell name"},
		{"```sql name=flows\nSELECT 1\n```\n", 1, "hide the view"},
		{"```sql name=a\nSELECT 1\n```\n```sql name=a\nSELECT 2\n```\n", 4, "already taken by the cell on line 1"},
		{"```sql name=cell_2\nSELECT 1\n```\n```sql\nSELECT 2\n```\n", 4, "already taken"},
		{"```sql chart=pie x=a y=b\nSELECT 1\n```\n", 1, `invalid chart "pie"`},
		{"```sql chart=bar x=a\nSELECT 1\n```\n", 1, "needs the columns of both axes"},
		{"```sql x=a\nSELECT 1\n```\n", 1, "x and y need a chart"},
		{"```sql colour=red\nSELECT 1\n```\n", 1, `unknown cell setting "colour"`},
		{"```sql name\nSELECT 1\n```\n", 1, "write key=value"},
		{"```sql name=a name=b\nSELECT 1\n```\n", 1, "given twice"},
		{"  ```sql\nSELECT 1\n```\n", 1, "indented sql fence"},
		{"```sql name=a\nSELECT 1\nWHERE x = '{{ip}}'\n```\n", 3, "inside quotes"},
		{"```sql name=a\nSELECT {{Bad Name}}\n```\n", 2, "invalid parameter"},
		{"```sql name=a\nSELECT {{ip\n```\n", 2, "invalid parameter"},
		{"---\nparams:\n  ip:\n---\n```sql name=a\nSELECT 1,\n  {{port}}\n```\n", 7, "unknown parameter {{port}}"},
	} {
		_, err := Parse("nb.md", []byte(tc.src))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error = %v, want a *ParseError", tc.src, err)
			continue
		}
		if pe.Line != tc.line || pe.File != "nb.md" {
			t.Errorf("Parse(%q) error at %s:%d, want nb.md:%d (%v)", tc.src, pe.File, pe.Line, tc.line, err)
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) error = %q, want it to contain %q", tc.src, err, tc.msg)
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error does not wrap ErrSyntax", tc.src)
		}
	}
}

func TestParseReferencesOnlyEarlierCells(t *testing.T) {
	src := "```sql name=a\nSELECT * FROM b\n```\n```sql name=b\nSELECT * FROM a, flows\n```\n" +
		"```sql name=c\nSELECT a FROM flows -- FROM b\n```\n"
	nb, err := Parse("refs.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cells := nb.Cells()
	if len(cells[0].Refs) != 0 {
		t.Errorf("cell a refs = %v, want none: b comes later", cells[0].Refs)
	}
	if want := []string{"a"}; !reflect.DeepEqual(cells[1].Refs, want) {
		t.Errorf("cell b refs = %v, want %v", cells[1].Refs, want)
	}
	if len(cells[2].Refs) != 0 {
		t.Errorf("cell c refs = %v, want none: a column and a comment are no references", cells[2].Refs)
	}
}

func FuzzParseFormat(f *testing.F) {
	f.Add(hostNotebook)
	f.Add("---\ntitle: x\nparams:\n  n: 1\n---\n```sql name=a chart=timeseries x=h y=b\nSELECT {{n}}\n```\n")
	f.Add("~~~sql\nSELECT $$ {{x}} $$, \"{{y}}\", /* {{z}} */ 1\n~~~\n")
	f.Fuzz(func(t *testing.T, src string) {
		nb, err := Parse("fuzz.md", []byte(src))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error %v is not a positioned *ParseError", err)
			}
			return
		}
		out := Format(nb)
		again, err := Parse("fuzz.md", out)
		if err != nil {
			t.Fatalf("parse of formatted text failed: %v\nsource %q\nformatted %q", err, src, out)
		}
		if !sameNotebook(nb, again) {
			t.Fatalf("round trip changed the notebook\nsource %q\nformatted %q", src, out)
		}
		if third := Format(again); !bytes.Equal(third, out) {
			t.Fatalf("format is not stable: %q then %q", out, third)
		}
	})
}
