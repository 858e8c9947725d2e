package sample

import (
	"math"
	"math/bits"
)

// rng is a SplitMix64 generator. It is tiny, allocation-free and has no
// global state, so the conversations of one pattern and minute can be
// regenerated identically by every worker that needs them.
type rng struct{ state uint64 }

// mix64 is the SplitMix64 finaliser.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// newRNG seeds a generator from the archive seed and two stream keys, such
// as a pattern id and a minute.
func newRNG(seed uint64, a, b uint64) rng {
	s := mix64(seed + 0x9e3779b97f4a7c15)
	s = mix64(s ^ (a * 0xd6e8feb86659fd93))
	s = mix64(s ^ (b * 0xa0761d6478bd642f))
	return rng{state: s}
}

func (r *rng) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	return mix64(r.state)
}

// intn returns a uniform value in [0, n) for n > 0.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// between returns a uniform value in [lo, hi].
func (r *rng) between(lo, hi int64) int64 {
	return lo + int64(r.intn(int(hi-lo+1)))
}

func (r *rng) float() float64 {
	return float64(r.next()>>11) / (1 << 53)
}

// chance returns true with probability p.
func (r *rng) chance(p float64) bool {
	return r.float() < p
}

func (r *rng) normal() float64 {
	u1 := r.float()
	for u1 == 0 {
		u1 = r.float()
	}
	u2 := r.float()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// logNormal returns a positive value whose median is median; sigma is the
// standard deviation of its logarithm. The value is capped at maxValue.
func (r *rng) logNormal(median, sigma, maxValue float64) int64 {
	v := median * math.Exp(sigma*r.normal())
	if v > maxValue {
		v = maxValue
	}
	if v < 1 {
		v = 1
	}
	return int64(v)
}

// poisson returns a Poisson-distributed count. Means of 30 and above use the
// normal approximation, which is close enough for traffic volumes.
func (r *rng) poisson(mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean < 30 {
		limit := math.Exp(-mean)
		k := 0
		p := r.float()
		for p > limit {
			k++
			p *= r.float()
		}
		return k
	}
	n := math.Round(mean + math.Sqrt(mean)*r.normal())
	if n < 0 {
		return 0
	}
	return int(n)
}

// hashString returns a 64-bit FNV-1a hash of s mixed with a salt.
func hashString(s string, salt uint64) uint64 {
	h := uint64(14695981039346656037) ^ salt
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix64(h)
}
