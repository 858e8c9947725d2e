package detections

import (
	"fmt"
	"strings"
)

// Severity orders findings. The values follow OCSF severity_id: 1
// informational to 5 critical.
type Severity int

// Severities from the least to the most severe.
const (
	SeverityInfo     Severity = 1
	SeverityLow      Severity = 2
	SeverityMedium   Severity = 3
	SeverityHigh     Severity = 4
	SeverityCritical Severity = 5
)

var severityNames = map[Severity]string{
	SeverityInfo: "info", SeverityLow: "low", SeverityMedium: "medium",
	SeverityHigh: "high", SeverityCritical: "critical",
}

// ParseSeverity reads info, low, medium, high or critical, in any case.
func ParseSeverity(s string) (Severity, error) {
	for sev, name := range severityNames {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return sev, nil
		}
	}
	return 0, fmt.Errorf("invalid severity %q: use info, low, medium, high or critical", s)
}

func (s Severity) String() string {
	if name, ok := severityNames[s]; ok {
		return name
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
