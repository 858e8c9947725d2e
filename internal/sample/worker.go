package sample

import (
	"bytes"
	"context"
	"fmt"

	"github.com/klauspost/compress/gzip"
)

// worker generates and compresses the objects of one job at a time. Its
// buffers are reused from job to job.
type worker struct {
	g     *generator
	raw   []byte
	convs []conv
	gz    *gzip.Writer
	// seen has bit k set for observer i when the job's window k of that
	// observer already holds an OK record.
	seen []uint8

	// State of the job in progress.
	fl          *flowLog
	flowLog     int
	table       int
	slot        int64
	fileTime    int64
	part        int
	partRecords int64
	res         *jobResult
	tally       *tally
}

// lineReserve is more than the longest line any format produces, so that
// cutting an object before it reaches MaxObjectSize - lineReserve keeps it
// under MaxObjectSize.
const lineReserve = 2048

func (g *generator) newWorker() *worker {
	// withDefaults accepts only the levels -3 to 9, the range NewWriterLevel accepts.
	gz, err := gzip.NewWriterLevel(nil, g.opt.GzipLevel)
	if err != nil {
		panic("sample: BUG: gzip level " + fmt.Sprint(g.opt.GzipLevel) + " passed validation: " + err.Error())
	}
	return &worker{g: g, gz: gz, seen: make([]uint8, len(g.est.observers))}
}

// run builds the objects of one flow log for one slot: the records of every
// aggregation window that closes in the 5 minutes before the slot.
func (w *worker) run(ctx context.Context, j job) jobResult {
	res := jobResult{index: j.index}
	if err := ctx.Err(); err != nil {
		res.err = fmt.Errorf("sample: generate archive: %w", err)
		return res
	}
	g := w.g
	w.fl = g.flowLogs[j.flowLog]
	w.flowLog = j.flowLog
	w.table = tableFlows
	if j.flowLog == flTGW {
		w.table = tableTGW
	}
	w.slot = j.slot
	w.fileTime = j.slot + w.fl.nameOffset
	w.part = 0
	w.res = &res
	w.tally = newTally(g.opt.Days, len(g.incidents))
	res.tally = w.tally
	for _, i := range w.fl.observers {
		w.seen[i] = 0
	}
	w.beginPart()

	// A conversation contributes to this slot if it overlaps one of the
	// slot's windows, which start at most max(300 s, window) before it.
	lookback := max(slotSeconds, w.fl.window)
	for _, p := range g.byLog[j.flowLog] {
		firstMinute := max((j.slot-lookback-p.maxDuration)/60, g.start/60)
		lastMinute := min((j.slot-1)/60, g.end/60-1)
		for m := firstMinute; m <= lastMinute; m++ {
			r := newRNG(g.seed, uint64(p.id), uint64(m))
			w.convs = p.generate(g, m, &r, w.convs[:0])
			for ci := range w.convs {
				c := &w.convs[ci]
				if c.end >= g.end {
					c.end = g.end - 1
				}
				for li := 0; li < c.n; li++ {
					l := &c.legs[li]
					if g.est.observers[l.obs].flowLog == j.flowLog {
						w.emitLeg(c, l)
					}
				}
			}
		}
	}
	w.emitStatusRecords()
	if err := w.endPart(); err != nil {
		res.err = err
	}
	return res
}

// windows returns the first and last start of the observer's aggregation
// windows that this slot publishes, and false when there are none. A 60 s
// window is published in the slot its end falls in; a 600 s window ends on
// a slot boundary.
func (w *worker) windows(o *observer) (first, last int64, ok bool) {
	if o.window == 60 {
		return w.slot - slotSeconds, w.slot - 60, true
	}
	first = w.slot - o.window
	return first, first, floorMod(first-o.phase, o.window) == 0
}

// emitLeg writes the records of one leg that fall in this slot's windows,
// splitting the conversation's packets and bytes by time.
func (w *worker) emitLeg(c *conv, l *leg) {
	o := w.g.est.observers[l.obs]
	first, last, ok := w.windows(o)
	if !ok {
		return
	}
	s, e := c.start, c.end
	if e < first || s > last+o.window-1 {
		return
	}
	a := max(first, s-floorMod(s-o.phase, o.window))
	total := e - s + 1
	packets, bytes, open, close := c.cPkts, c.cBytes, c.cOpen, c.cClose
	if l.reverse {
		packets, bytes, open, close = c.sPkts, c.sBytes, c.sOpen, c.sClose
	}
	for ; a <= last && a <= e; a += o.window {
		lo, hi := max(s, a), min(e, a+o.window-1)
		if lo > hi {
			continue
		}
		// Cumulative packet counts at both ends of the overlap; bytes
		// follow the packets so that every record keeps the
		// conversation's bytes per packet.
		before, through := packets*(lo-s)/total, packets*(hi-s+1)/total
		p := through - before
		if p <= 0 {
			continue
		}
		b := bytes*through/packets - bytes*before/packets
		var flags uint8
		if lo == s {
			flags |= open
		}
		if hi == e {
			flags |= close
		}
		if o.quiet {
			w.seen[l.obs] |= 1 << ((a - first) / o.window)
		}
		w.write(o, &record{status: statusOK, start: lo, end: hi, packets: p, bytes: b, flags: flags, conv: c, leg: l})
	}
}

// emitStatusRecords writes SKIPDATA for the windows where records are
// dropped and NODATA for the idle windows of quiet ENIs. Only windows
// entirely inside the archive's days qualify.
func (w *worker) emitStatusRecords() {
	g := w.g
	for _, i := range w.fl.observers {
		o := g.est.observers[i]
		if o.attachment != nil {
			continue
		}
		first, last, ok := w.windows(o)
		if !ok {
			continue
		}
		for a := first; a <= last; a += o.window {
			if a < g.start || a+o.window > g.end {
				continue
			}
			status := uint8(statusOK)
			switch {
			case g.dropsRecords(i, a):
				status = statusSkipData
			case o.quiet && w.seen[i]&(1<<((a-first)/o.window)) == 0:
				status = statusNoData
			default:
				continue
			}
			w.write(o, &record{status: status, start: a, end: a + o.window - 1})
		}
	}
}

// dropsRecords reports whether the observer writes SKIPDATA for the window
// starting at a: about one window in 20,000 on busy ENIs, one in 150 on
// quiet ones, and always the NAT gateway's window at noon of the first day.
func (g *generator) dropsRecords(obs int, a int64) bool {
	if obs == g.ix.nat && a == g.start+12*3600 {
		return true
	}
	denominator := uint64(20_000)
	if g.est.observers[obs].quiet {
		denominator = 150
	}
	return mix64(g.seed^uint64(obs)*0x9e3779b97f4a7c15^uint64(a)*0xd6e8feb86659fd93)%denominator == 0
}

// write appends one record and counts it.
func (w *worker) write(o *observer, r *record) {
	g := w.g
	w.raw = g.appendRecord(w.raw, w.fl, o, r)
	w.partRecords++

	t := &w.tally.tables[w.table]
	t.records++
	t.status[r.status]++
	t.days[(r.start-g.start)/86400]++
	w.tally.maxLead[w.flowLog] = max(w.tally.maxLead[w.flowLog], w.fileTime-r.start)
	if l := r.leg; l != nil {
		c := r.conv
		t.packets += r.packets
		if !(c.bpa && l.reject) {
			t.bytes += r.bytes
		}
		if w.table == tableFlows {
			if l.reject {
				t.rejected++
			} else {
				t.accepted++
			}
		}
		if c.incident >= 0 {
			w.tally.addIncident(c, l, r.start, r.end, r.packets, r.bytes)
		}
	}
	if len(w.raw) > g.opt.MaxObjectSize-lineReserve {
		if err := w.endPart(); err != nil {
			w.res.err = err
		}
		w.beginPart()
	}
}

func (w *worker) beginPart() {
	w.raw = append(w.raw[:0], w.fl.header...)
	w.raw = append(w.raw, '\n')
	w.partRecords = 0
}

// endPart compresses the object in progress, if it holds any record.
func (w *worker) endPart() error {
	if w.partRecords == 0 {
		return nil
	}
	key := w.g.objectKey(w.fl, w.fileTime, w.part)
	body := bufferPool.Get().(*bytes.Buffer)
	w.gz.Reset(body)
	if _, err := w.gz.Write(w.raw); err != nil {
		return fmt.Errorf("sample: compress object %q: %w", key, err)
	}
	if err := w.gz.Close(); err != nil {
		return fmt.Errorf("sample: compress object %q: %w", key, err)
	}
	w.res.objects = append(w.res.objects, object{
		key: key, body: body, records: w.partRecords, raw: int64(len(w.raw)), flowLog: w.flowLog,
	})
	w.part++
	w.partRecords = 0
	return nil
}
