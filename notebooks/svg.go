package notebooks

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// Chart geometry in SVG user units (pixels at 100% zoom).
const (
	svgWidth      = 760
	barLabelWidth = 190 // room for the bar labels left of the bars
	barValueWidth = 70  // room for the value right of the longest bar
	barHeight     = 18
	barGap        = 6
	seriesHeight  = 300
)

// writeSVG draws the chart as an inline SVG element with axes and labels.
func writeSVG(b *strings.Builder, d *chartData) {
	switch d.kind {
	case ChartBar:
		writeBarSVG(b, d)
	case ChartTimeSeries:
		writeSeriesSVG(b, d)
	}
}

func svgOpen(b *strings.Builder, width, height int, title string) {
	fmt.Fprintf(b, `<svg class="chart" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		width, height, width, height, html.EscapeString(title))
	fmt.Fprintf(b, "<title>%s</title>", html.EscapeString(title))
}

// svgText writes a text element; anchor is start, middle or end.
func svgText(b *strings.Builder, x, y float64, anchor, class, text string) {
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="%s" class="%s">%s</text>`, x, y, anchor, class, html.EscapeString(text))
}

// writeBarSVG draws one horizontal bar per point, labelled on the left and
// valued on the right, over a value axis with grid lines.
func writeBarSVG(b *strings.Builder, d *chartData) {
	top, axisRoom := 10.0, 30.0
	height := int(top+axisRoom) + len(d.points)*(barHeight+barGap)
	svgOpen(b, svgWidth, height, d.yName+" by "+d.xName)
	lo, hi := d.yRange()
	ticks := niceTicks(lo, hi, 5)
	lo, hi = math.Min(lo, ticks[0]), math.Max(hi, ticks[len(ticks)-1])
	x0, x1 := float64(barLabelWidth), float64(svgWidth-barValueWidth)
	scale := func(v float64) float64 { return x0 + (v-lo)/(hi-lo)*(x1-x0) }
	plotBottom := top + float64(len(d.points)*(barHeight+barGap))

	for _, t := range ticks {
		x := scale(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>`, x, top, x, plotBottom)
		svgText(b, x, plotBottom+16, "middle", "tick", siText(t))
	}
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="axis"/>`, x0, plotBottom, x1, plotBottom)
	for i, p := range d.points {
		y := top + float64(i*(barHeight+barGap))
		start, end := scale(math.Min(0, p.y)), scale(math.Max(0, p.y))
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" class="bar"><title>%s: %s</title></rect>`,
			start, y, math.Max(end-start, 0.5), barHeight, html.EscapeString(p.label), html.EscapeString(siText(p.y)))
		svgText(b, x0-6, y+barHeight-5, "end", "label", truncateRunes(p.label, 30))
		svgText(b, end+4, y+barHeight-5, "start", "value", siText(p.y))
	}
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="axis"/>`, scale(0), top, scale(0), plotBottom)
	svgText(b, (x0+x1)/2, float64(height)-2, "middle", "axis-title", d.yName)
	b.WriteString("</svg>")
}

// writeSeriesSVG draws the points as a line over a time or number axis,
// with grid lines and labelled ticks on both axes.
func writeSeriesSVG(b *strings.Builder, d *chartData) {
	left, right, top, bottom := 70.0, 20.0, 16.0, 52.0
	svgOpen(b, svgWidth, seriesHeight, d.yName+" over "+d.xName)
	ylo, yhi := d.yRange()
	yticks := niceTicks(ylo, yhi, 5)
	ylo, yhi = math.Min(ylo, yticks[0]), math.Max(yhi, yticks[len(yticks)-1])
	xlo, xhi := d.points[0].x, d.points[len(d.points)-1].x
	if xhi <= xlo {
		xlo, xhi = xlo-1, xhi+1
	}
	px0, px1 := left, float64(svgWidth)-right
	py0, py1 := float64(seriesHeight)-bottom, top
	sx := func(v float64) float64 { return px0 + (v-xlo)/(xhi-xlo)*(px1-px0) }
	sy := func(v float64) float64 { return py0 + (v-ylo)/(yhi-ylo)*(py1-py0) }

	for _, t := range yticks {
		y := sy(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>`, px0, y, px1, y)
		svgText(b, px0-6, y+4, "end", "tick", siText(t))
	}
	for _, t := range xTicks(d, xlo, xhi) {
		x := sx(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>`, x, py1, x, py0)
		svgText(b, x, py0+16, "middle", "tick", xTickLabel(d, t, xhi-xlo))
	}
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="axis"/>`, px0, py0, px1, py0)
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="axis"/>`, px0, py0, px0, py1)

	var pts strings.Builder
	for i, p := range d.points {
		if i > 0 {
			pts.WriteByte(' ')
		}
		fmt.Fprintf(&pts, "%.1f,%.1f", sx(p.x), sy(p.y))
	}
	fmt.Fprintf(b, `<polyline points="%s" class="line"/>`, pts.String())
	if len(d.points) <= 200 {
		for _, p := range d.points {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="2.5" class="dot"><title>%s: %s</title></circle>`,
				sx(p.x), sy(p.y), html.EscapeString(p.label), html.EscapeString(siText(p.y)))
		}
	}
	svgText(b, (px0+px1)/2, float64(seriesHeight)-8, "middle", "axis-title", d.xName+" (UTC)")
	fmt.Fprintf(b, `<text x="14" y="%.1f" text-anchor="middle" class="axis-title" transform="rotate(-90 14 %.1f)">%s</text>`,
		(py0+py1)/2, (py0+py1)/2, html.EscapeString(d.yName))
	b.WriteString("</svg>")
}

// xTicks returns the tick positions of a time series: whole hours, days
// or weeks for a time axis, round numbers otherwise.
func xTicks(d *chartData, lo, hi float64) []float64 {
	if !d.timeAxis {
		return niceTicks(lo, hi, 6)
	}
	span := hi - lo
	step := 3600.0
	for _, s := range []float64{3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400} {
		step = s
		if span/s <= 8 {
			break
		}
	}
	var ticks []float64
	for t := math.Ceil(lo/step) * step; t <= hi; t += step {
		ticks = append(ticks, t)
	}
	return ticks
}

func xTickLabel(d *chartData, x, span float64) string {
	if !d.timeAxis {
		return siText(x)
	}
	t := time.Unix(int64(x), 0).UTC()
	switch {
	case span <= 86400:
		return t.Format("15:04")
	case t.Hour() == 0:
		return t.Format("Jan 2")
	}
	return t.Format("Jan 2 15h")
}
