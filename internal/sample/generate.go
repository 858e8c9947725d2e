package sample

import (
	"bytes"
	"context"
	"fmt"
	"sync"
)

// Generate writes a flow-log archive to w and returns what it wrote.
//
// Objects are generated and compressed by Options.Workers goroutines, one
// object per flow log and 5-minute slot, and handed to w in a fixed order.
// The same options give the same keys and bytes. When ctx is cancelled,
// Generate stops and returns ctx's error; the objects already written stay.
func Generate(ctx context.Context, w ObjectWriter, opt Options) (*Truth, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	g := newGenerator(opt)
	truth := g.newTruth()

	others, err := g.otherObjects()
	if err != nil {
		return nil, err
	}
	for _, o := range others {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("sample: generate archive: %w", err)
		}
		if err := w.WriteObject(o.key, o.body); err != nil {
			return nil, fmt.Errorf("sample: write object %q: %w", o.key, err)
		}
		truth.OtherObjects++
		truth.CompressedBytes += int64(len(o.body))
		truth.Objects = append(truth.Objects, Object{Key: o.key, Size: int64(len(o.body))})
	}

	run := newTally(opt.Days, len(g.incidents))
	if err := g.run(ctx, w, truth, run); err != nil {
		return nil, err
	}
	g.finish(truth, run)
	return truth, nil
}

// generator holds everything that stays fixed during one Generate call.
// Workers only read it.
type generator struct {
	opt   Options
	seed  uint64
	start int64 // Unix seconds of the first day's midnight
	end   int64 // Unix seconds just after the last day
	est   *estate
	// flowLogs are the estate's flow logs with the layouts of Options.
	flowLogs  []*flowLog
	ix        roles
	patterns  []*pattern
	byLog     [flowLogCount][]*pattern
	incidents []*incidentSpec
	diurnal   [24]float64
}

func newGenerator(opt Options) *generator {
	g := &generator{
		opt:   opt,
		seed:  uint64(opt.Seed),
		start: opt.Start.Unix(),
		est:   theEstate(),
	}
	g.end = g.start + int64(opt.Days)*86400
	for i, fl := range g.est.flowLogs {
		c := *fl
		if len(opt.Layouts) > 0 {
			c.layout = opt.Layouts[i%len(opt.Layouts)]
		}
		g.flowLogs = append(g.flowLogs, &c)
	}
	var sum float64
	for _, v := range diurnalShape {
		sum += v
	}
	for h, v := range diurnalShape {
		g.diurnal[h] = v * 24 / sum
	}
	g.ix.init(g)

	g.patterns = g.backgroundPatterns()
	var shares float64
	for _, p := range g.patterns {
		shares += p.share
	}
	for _, p := range g.patterns {
		p.share /= shares
		perUnit := g.recordsPerUnit(p)
		p.unitsPerMinute = float64(opt.RecordsPerDay) * p.share / 1440 / perUnit
	}
	if opt.Incidents {
		g.incidents = g.planIncidents()
		for _, spec := range g.incidents {
			p := &pattern{name: spec.name, flowLogs: logMask(spec.flowLog), planned: spec.convs}
			for _, c := range spec.convs {
				p.maxDuration = max(p.maxDuration, c.end-c.start)
			}
			g.patterns = append(g.patterns, p)
		}
	}
	for i, p := range g.patterns {
		p.id = i
		for fl := range g.byLog {
			if p.flowLogs&(1<<fl) != 0 {
				g.byLog[fl] = append(g.byLog[fl], p)
			}
		}
	}
	return g
}

// recordsPerUnit estimates how many records one unit of a pattern writes,
// from a fixed sample of units, so that Options.RecordsPerDay holds for
// any mix of conversation lengths and aggregation windows.
func (g *generator) recordsPerUnit(p *pattern) float64 {
	const samples = 400
	r := newRNG(0, hashString(p.name, 0), 0)
	var convs []conv
	for i := 0; i < samples; i++ {
		convs = p.unit(g, g.start+12*3600+int64(r.intn(3600)), &r, convs)
	}
	var n int64
	for ci := range convs {
		c := &convs[ci]
		for li := 0; li < c.n; li++ {
			o := g.est.observers[c.legs[li].obs]
			first := c.start - floorMod(c.start-o.phase, o.window)
			last := c.end - floorMod(c.end-o.phase, o.window)
			n += (last-first)/o.window + 1
		}
	}
	return max(float64(n)/samples, 1)
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// inFlightPerWorker bounds the jobs generated but not yet written.
const inFlightPerWorker = 8

// slotSeconds is the delivery interval: one object per flow log per slot.
const slotSeconds = 300

// job is one flow log's object, or objects, for the slot ending at slot.
type job struct {
	index   int
	flowLog int
	slot    int64
}

type jobResult struct {
	index   int
	objects []object
	tally   *tally
	err     error
}

type object struct {
	key     string
	body    *bytes.Buffer
	records int64
	raw     int64
	flowLog int
}

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// run generates the flow-log objects in parallel and writes them in job
// order. At most inFlightPerWorker jobs per worker are in flight, which
// bounds memory while a large job holds up the writing of later ones.
func (g *generator) run(ctx context.Context, w ObjectWriter, truth *Truth, total *tally) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	logs := len(g.flowLogs)
	first := g.start + slotSeconds
	// 600 s windows shifted by 300 s publish up to 300 s after the end.
	last := g.end + slotSeconds
	jobCount := int((last-first)/slotSeconds+1) * logs
	workers := g.opt.Workers

	jobs := make(chan job)
	results := make(chan jobResult, workers)
	tokens := make(chan struct{}, inFlightPerWorker*workers)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(jobs)
		for i := 0; i < jobCount; i++ {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			j := job{index: i, flowLog: i % logs, slot: first + int64(i/logs)*slotSeconds}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := g.newWorker()
			for j := range jobs {
				res := wk.run(ctx, j)
				select {
				case results <- res:
				case <-ctx.Done():
					releaseObjects(res.objects)
					return
				}
			}
		}()
	}

	var err error
	pending := map[int]jobResult{}
	for next := 0; next < jobCount && err == nil; {
		select {
		case res := <-results:
			pending[res.index] = res
		case <-ctx.Done():
			err = fmt.Errorf("sample: generate archive: %w", ctx.Err())
			continue
		}
		for err == nil {
			res, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			err = g.store(w, truth, total, res)
			<-tokens
			next++
		}
	}
	cancel()
	wg.Wait()
	for _, res := range pending {
		releaseObjects(res.objects)
	}
	return err
}

// store writes one job's objects and adds its tally to the run's.
func (g *generator) store(w ObjectWriter, truth *Truth, total *tally, res jobResult) error {
	defer releaseObjects(res.objects)
	if res.err != nil {
		return res.err
	}
	for _, o := range res.objects {
		body := o.body.Bytes()
		if err := w.WriteObject(o.key, body); err != nil {
			return fmt.Errorf("sample: write object %q: %w", o.key, err)
		}
		fl := &truth.FlowLogs[o.flowLog]
		fl.Objects++
		fl.Records += o.records
		truth.FlowLogObjects++
		truth.CompressedBytes += int64(len(body))
		truth.UncompressedBytes += o.raw
		truth.Objects = append(truth.Objects, Object{
			Key: o.key, Table: fl.Table, FlowLogID: fl.ID, Records: o.records, Size: int64(len(body)),
		})
	}
	total.merge(res.tally)
	return nil
}

func releaseObjects(objects []object) {
	for _, o := range objects {
		o.body.Reset()
		bufferPool.Put(o.body)
	}
}
