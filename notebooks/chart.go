package notebooks

import (
	"math"
	"sort"
	"time"
)

// maxBars is the number of rows that a bar chart draws, from the top of
// the result.
const maxBars = 20

// chartPoint is one row of a chart: a label or position on the x axis and
// a value on the y axis.
type chartPoint struct {
	label string
	x     float64 // Unix seconds for a time axis
	y     float64
}

// chartData is the series that a cell's chart draws.
type chartData struct {
	kind   ChartKind
	xName  string
	yName  string
	points []chartPoint
	// timeAxis is true when the x values of a time series are times.
	timeAxis bool
	// skipped counts rows left out: NULL or non-numeric values, and bars
	// beyond maxBars.
	skipped int
}

// buildChart reads the chart's points from a cell result. It returns nil
// when the cell has no chart or failed.
func buildChart(cr *CellResult) *chartData {
	c := cr.Cell.Chart
	if c.Kind == ChartNone || cr.Err != nil {
		return nil
	}
	xi, yi := columnIndex(cr.Columns, c.X), columnIndex(cr.Columns, c.Y)
	if xi < 0 || yi < 0 {
		return nil
	}
	d := &chartData{kind: c.Kind, xName: c.X, yName: c.Y}
	d.skipped = int(cr.RowCount) - len(cr.Rows)
	if c.Kind == ChartTimeSeries {
		_, d.timeAxis = firstNonNil(cr.Rows, xi).(time.Time)
	}
	for _, row := range cr.Rows {
		y, ok := numberOf(row[yi])
		if !ok || row[xi] == nil {
			d.skipped++
			continue
		}
		p := chartPoint{label: cellText(row[xi], cr.Columns[xi].Type), y: y}
		if c.Kind == ChartTimeSeries {
			if t, isTime := row[xi].(time.Time); isTime && d.timeAxis {
				p.x = float64(t.Unix()) + float64(t.Nanosecond())/1e9
			} else if f, isNum := numberOf(row[xi]); isNum && !d.timeAxis {
				p.x = f
			} else {
				d.skipped++
				continue
			}
		}
		d.points = append(d.points, p)
	}
	if c.Kind == ChartBar && len(d.points) > maxBars {
		d.skipped += len(d.points) - maxBars
		d.points = d.points[:maxBars]
	}
	if c.Kind == ChartTimeSeries {
		sort.SliceStable(d.points, func(i, j int) bool { return d.points[i].x < d.points[j].x })
	}
	return d
}

func firstNonNil(rows [][]any, col int) any {
	for _, row := range rows {
		if row[col] != nil {
			return row[col]
		}
	}
	return nil
}

// yRange returns the extent of the y values, always including 0.
func (d *chartData) yRange() (lo, hi float64) {
	for _, p := range d.points {
		lo, hi = math.Min(lo, p.y), math.Max(hi, p.y)
	}
	return lo, hi
}

// niceTicks returns about n round values that cover [lo, hi], such as
// 0, 2G, 4G, 6G, 8G.
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		step = m * mag
		if step >= raw {
			break
		}
	}
	start := math.Floor(lo/step) * step
	var ticks []float64
	for v := start; v < hi+step*0.999; v += step {
		ticks = append(ticks, v)
		if len(ticks) > 2*n+2 {
			break
		}
	}
	return ticks
}
