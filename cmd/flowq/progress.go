package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/flowq/flowq/convert"
)

// progressLogEvery is how often a conversion logs its progress when stderr
// is not a terminal.
const progressLogEvery = 10 * time.Second

// startProgress shows a conversion's progress: a bar on a terminal, a log
// line every progressLogEvery otherwise. The returned function stops it.
func startProgress(g *globalOptions, c *convert.Counters, allowBar bool) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	if allowBar && g.stderrFile != nil && term.IsTerminal(int(g.stderrFile.Fd())) {
		go func() {
			defer wg.Done()
			drawBar(g, c, done)
		}()
	} else {
		go func() {
			defer wg.Done()
			logProgress(g, c, done)
		}()
	}
	return func() {
		close(done)
		wg.Wait()
	}
}

func drawBar(g *globalOptions, c *convert.Counters, done <-chan struct{}) {
	p := mpb.New(mpb.WithOutput(g.stderr), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithWidth(40))
	began := time.Now()
	bar := p.New(0, mpb.BarStyle(),
		mpb.PrependDecorators(
			decor.Any(func(decor.Statistics) string {
				return fmt.Sprintf("%d/%d objects", c.ObjectsDone.Load()+c.ObjectsFailed.Load(), c.ObjectsPlanned.Load())
			}, decor.WCSyncSpaceR),
		),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string {
				return fmt.Sprintf("%s/%s", humanBytes(c.BytesIn.Load()), humanBytes(c.BytesPlanned.Load()))
			}, decor.WCSyncSpace),
			decor.Any(func(decor.Statistics) string { return rateText(c, began) }, decor.WCSyncSpace),
			decor.Any(func(decor.Statistics) string { return etaText(c, began) }, decor.WCSyncSpace),
		),
	)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			bar.SetTotal(c.BytesIn.Load(), true)
			p.Wait()
			return
		case <-tick.C:
			if total := c.BytesPlanned.Load(); total > 0 {
				bar.SetTotal(total, false)
			}
			bar.SetCurrent(c.BytesIn.Load())
		}
	}
}

func logProgress(g *globalOptions, c *convert.Counters, done <-chan struct{}) {
	began := time.Now()
	tick := time.NewTicker(progressLogEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			g.logger.Info("converting",
				"objects_done", c.ObjectsDone.Load(), "objects_failed", c.ObjectsFailed.Load(),
				"objects_planned", c.ObjectsPlanned.Load(), "bytes_in", c.BytesIn.Load(),
				"rows", c.Rows.Load(), "rate", rateText(c, began), "eta", etaText(c, began))
		}
	}
}

func rateText(c *convert.Counters, began time.Time) string {
	secs := time.Since(began).Seconds()
	if secs <= 0 {
		return ""
	}
	return fmt.Sprintf("%s/s %.0fk rows/s", humanBytes(int64(float64(c.BytesIn.Load())/secs)), float64(c.Rows.Load())/secs/1000)
}

func etaText(c *convert.Counters, began time.Time) string {
	in, total := c.BytesIn.Load(), c.BytesPlanned.Load()
	if in <= 0 || total <= in {
		return ""
	}
	elapsed := time.Since(began)
	left := time.Duration(float64(elapsed) * float64(total-in) / float64(in))
	return "ETA " + left.Round(time.Second).String()
}
