package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/flowq/flowq/detections"
	"github.com/flowq/flowq/internal/s3store"
	"github.com/flowq/flowq/query"
)

type detectOptions struct {
	data         string
	since, until string
	accounts     []string
	regions      []string
	packs        []string
	noBuiltin    bool
	rules        []string
	sets         []string
	config       string
	allowlists   []string
	threatLists  []string
	baseline     string
	format       string
	failOn       string
	memoryLimit  string
	threads      int
	now          func() time.Time
}

// ruleSet is the result of loadRules: the rules to run, all rules of the
// packs before --rule chose some, the rule files that did not parse, and
// the parameter settings.
type ruleSet struct {
	rules, all []*detections.Rule
	bad        []error
	settings   detections.Settings
}

const detectLong = `Run detection rules over the dataset and report findings.

The built-in pack has rules for SSH and RDP brute force, vertical port
scans and horizontal sweeps, internet access to admin and database ports,
floods toward or from one host, large transfers and egress volume above
baseline, risky egress (SMB, RPC, VNC, IRC, TFTP, SMTP, mining pool ports),
DNS to unapproved resolvers, large ICMP, unusual IP protocols, REJECT
spikes and new ports against baseline, --threat-list matches and skipped
flow log records. "flowq detect list" shows them with their parameters.

A rule is a .sql file with YAML front matter (see docs/detections.md).
--pack DIR adds the rules of a folder; a rule with the id of a built-in rule
replaces it. A rule file that does not parse is reported with its file and
line, and the other rules still run.

All rules run in one DuckDB session over one materialised copy of the
window [--since, --until), plus --baseline of history before --since for the
rules that compare against a baseline.

Exit statuses:
  0    no finding at or above --fail-on
  1    the command failed
  2    invalid flag, argument, setting, allowlist or threat list
  4    a rule is invalid or failed to run; the other rules ran
  5    no data: the dataset is missing or empty, or the window holds no records
  6    DuckDB ran out of memory
  7    a data file could not be read
  8    findings at or above --fail-on (checked before status 4)
  130  interrupted`

const detectExample = `  flowq detect --since 24h
  flowq detect --since 2026-11-01 --format json > findings.ndjson
  flowq detect --pack ./our-rules --set ssh_bruteforce.min_attempts=50 --allowlist allow.yaml --fail-on high
  flowq detect list
  flowq detect explain port_scan_vertical`

func newDetectCmd(g *globalOptions) *cobra.Command {
	o := &detectOptions{}
	cmd := &cobra.Command{
		Use:     "detect",
		Short:   "Run detection rules over the dataset and report findings",
		Long:    detectLong,
		Example: detectExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDetect(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.data, "data", "d", defaultDataDir(), "dataset folder; $FLOWQ_DATA when set")
	o.windowFlags(f)
	o.scopeFlags(f)
	o.ruleFlags(f, "run only these rule ids (repeat or separate with commas)")
	f.StringArrayVar(&o.allowlists, "allowlist", nil, "YAML allowlist of cidrs, interfaces and ports, global or per rule (repeatable)")
	o.threatListFlag(f)
	f.StringVar(&o.format, "format", "table", "output format: table, json (one object a line) or ocsf")
	f.StringVar(&o.failOn, "fail-on", "high", "exit with status 8 when a finding has this severity or higher: info, low, medium, high, critical or none")
	f.StringVar(&o.memoryLimit, "memory-limit", "", "DuckDB memory limit, such as 4GB (default: 80% of the machine's memory)")
	f.IntVar(&o.threads, "threads", 0, "DuckDB worker threads (default: one per CPU core)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the rules with severity, ATT&CK ids and parameters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDetectList(g, o)
		},
	}
	o.ruleFlags(list.Flags(), "list only these rule ids (repeat or separate with commas)")
	explain := &cobra.Command{
		Use:   "explain RULE",
		Short: "Print a rule's description and the SQL with its parameters and window filled in",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError(errors.New("give one rule id, such as flowq detect explain port_scan_vertical; flowq detect list shows them"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDetectExplain(g, o, args[0])
		},
	}
	o.windowFlags(explain.Flags())
	o.scopeFlags(explain.Flags())
	o.ruleFlags(explain.Flags(), "")
	o.threatListFlag(explain.Flags())
	cmd.AddCommand(list, explain)
	return cmd
}

// windowFlags adds the flags that set the detection window.
func (o *detectOptions) windowFlags(f *pflag.FlagSet) {
	f.StringVar(&o.since, "since", "24h", "start of the window: a date, an RFC 3339 time or a duration before now such as 24h or 7d")
	f.StringVar(&o.until, "until", "", "end of the window, exclusive (same forms as --since; default: now)")
	f.StringVar(&o.baseline, "baseline", "7d", "history before --since that baseline rules compare against, such as 14d; 0 turns them off")
}

// ruleFlags adds the flags that choose the rules and their parameters,
// with --rule when ruleHelp is not "".
func (o *detectOptions) ruleFlags(f *pflag.FlagSet, ruleHelp string) {
	f.StringArrayVar(&o.packs, "pack", nil, "add the rules of this folder or .sql file (repeatable)")
	f.BoolVar(&o.noBuiltin, "no-builtin", false, "leave out the built-in pack")
	if ruleHelp != "" {
		f.StringSliceVar(&o.rules, "rule", nil, ruleHelp)
	}
	f.StringArrayVar(&o.sets, "set", nil, "set a rule parameter: rule.param=value (repeatable)")
	f.StringVar(&o.config, "config", "", "YAML file of parameter values: rule id, then parameter name and value")
}

// scopeFlags adds the flags that keep only some accounts and regions.
func (o *detectOptions) scopeFlags(f *pflag.FlagSet) {
	f.StringSliceVar(&o.accounts, "account", nil, "keep only these account ids (repeat or separate with commas)")
	f.StringSliceVar(&o.regions, "region", nil, "keep only these flow-log regions (repeat or separate with commas)")
}

func (o *detectOptions) threatListFlag(f *pflag.FlagSet) {
	f.StringArrayVar(&o.threatLists, "threat-list", nil, "file of IP addresses or CIDRs, one a line, # comments, loaded into the threat_list table that rules read (repeatable)")
}

// loadRules loads the packs and the settings. Rule files that do not parse
// are returned in bad. A rule of a later pack with the id of an earlier one
// replaces it, and an info line is logged.
func (o *detectOptions) loadRules(g *globalOptions) (*ruleSet, error) {
	var bad []error
	var packs [][]*detections.Rule
	if !o.noBuiltin {
		b, err := detections.BuiltinPack()
		if err != nil {
			return nil, err
		}
		packs = append(packs, b)
	}
	seen := map[string]string{}
	for _, p := range packs {
		for _, r := range p {
			seen[r.ID] = r.File
		}
	}
	for _, dir := range o.packs {
		info, err := os.Stat(dir)
		if err != nil {
			return nil, usageError(fmt.Errorf("invalid --pack %q: %w", dir, err))
		}
		if !info.IsDir() && !strings.HasSuffix(dir, ".sql") {
			return nil, usageError(fmt.Errorf("invalid --pack %q: give a folder of .sql rule files or one .sql file", dir))
		}
		p, errs := detections.LoadPack(dir)
		for _, r := range p {
			if earlier, ok := seen[r.ID]; ok && filepath.Clean(earlier) != filepath.Clean(r.File) {
				g.logger.Info("rule replaced", "rule", r.ID, "file", r.File, "replaces", earlier)
			}
			seen[r.ID] = r.File
		}
		packs = append(packs, p)
		bad = append(bad, errs...)
	}
	all := detections.Merge(packs...)

	// Settings are checked against every loaded rule, so one --config file
	// serves runs of any --rule selection.
	settings := detections.Settings{}
	if o.config != "" {
		var err error
		if settings, err = detections.LoadSettings(o.config); err != nil {
			return nil, usageError(err)
		}
	}
	for _, s := range o.sets {
		if err := settings.ParseSet(s); err != nil {
			return nil, usageError(err)
		}
	}
	if err := settings.Check(all); err != nil {
		return nil, usageError(fmt.Errorf("invalid rule settings: %w", err))
	}

	rules := all
	if len(o.rules) > 0 {
		var err error
		if rules, err = selectRules(all, o.rules, bad); err != nil {
			return nil, err
		}
	}
	return &ruleSet{rules: rules, all: all, bad: bad, settings: settings}, nil
}

// selectRules keeps the rules of ids. An unknown id is a usage error that
// also names the rule files that could not be read, since the rule may be
// among them.
func selectRules(rules []*detections.Rule, ids []string, bad []error) ([]*detections.Rule, error) {
	keep := map[string]bool{}
	for _, id := range ids {
		keep[id] = true
	}
	var sel []*detections.Rule
	for _, r := range rules {
		if keep[r.ID] {
			sel = append(sel, r)
			delete(keep, r.ID)
		}
	}
	for _, id := range ids {
		if keep[id] {
			return nil, usageError(unknownRule(id, bad))
		}
	}
	return sel, nil
}

// unknownRule returns the error for a rule id that no loaded rule has.
func unknownRule(id string, bad []error) error {
	msg := fmt.Sprintf("unknown rule %q: see flowq detect list", id)
	if len(bad) > 0 {
		var parts []string
		for _, e := range bad {
			parts = append(parts, e.Error())
		}
		msg += fmt.Sprintf("; %s could not be read: %s", plural(len(bad), "rule file"), strings.Join(parts, "; "))
	}
	return errors.New(msg)
}

// plural returns "1 rule" or "3 rules".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// runConfig returns the run's configuration without the allowlist: the
// window, the settings, the account and region scope and the threat list.
func (o *detectOptions) runConfig(w detections.Window, settings detections.Settings) (detections.Config, error) {
	cfg := detections.Config{Window: w, Settings: settings, Accounts: o.accounts, Regions: o.regions}
	for _, file := range o.threatLists {
		list, err := detections.LoadThreatList(file)
		if err != nil {
			return cfg, usageError(err)
		}
		cfg.ThreatList = append(cfg.ThreatList, list...)
	}
	return cfg, nil
}

// noRulesReason returns the reason a run selected no rule.
func noRulesReason(o *detectOptions, bad []error) string {
	switch {
	case len(bad) > 0:
		return fmt.Sprintf("%s could not be read (see the log above)", plural(len(bad), "rule file"))
	case o.noBuiltin && len(o.packs) == 0:
		return "--no-builtin leaves out the built-in pack, so give --pack DIR"
	default:
		return "the packs hold no .sql rule files"
	}
}

// pluralVerb returns "1 rule was" or "3 rules were".
func pluralVerb(n int, noun, verbForOne, verbForMany string) string {
	if n == 1 {
		return plural(n, noun) + " " + verbForOne
	}
	return plural(n, noun) + " " + verbForMany
}

func (o *detectOptions) window() (detections.Window, error) {
	now := time.Now()
	if o.now != nil {
		now = o.now()
	}
	since, err := parseTimeBound("since", o.since, now)
	if err != nil {
		return detections.Window{}, err
	}
	until, err := parseTimeBound("until", o.until, now)
	if err != nil {
		return detections.Window{}, err
	}
	if until.IsZero() {
		until = now.UTC()
	}
	if since.IsZero() || !until.After(since) {
		return detections.Window{}, usageError(fmt.Errorf("invalid range: --until %s must be after --since %q", until.Format(time.RFC3339), o.since))
	}
	baseline, err := detections.ParseDuration(o.baseline)
	if err != nil || baseline < 0 {
		return detections.Window{}, usageError(fmt.Errorf("invalid --baseline %q: give a duration such as 14d, or 0", o.baseline))
	}
	return detections.Window{Since: since, Until: until, Baseline: baseline}, nil
}

func runDetect(ctx context.Context, g *globalOptions, o *detectOptions) error {
	if s3store.IsURL(o.data) {
		return usageError(fmt.Errorf("invalid --data %q: flowq detect reads a local dataset; copy the partitions you need to a folder first, for example with aws s3 sync", o.data))
	}
	var failOn detections.Severity
	if !strings.EqualFold(o.failOn, "none") {
		var err error
		if failOn, err = detections.ParseSeverity(o.failOn); err != nil {
			return usageError(fmt.Errorf("invalid --fail-on: %w, or none", err))
		}
	}
	format := strings.ToLower(o.format)
	switch format {
	case "table", "json", "ocsf":
	default:
		return usageError(fmt.Errorf("invalid --format %q: use table, json or ocsf", o.format))
	}
	memoryLimit, err := checkEngineFlags(o.memoryLimit, o.threads)
	if err != nil {
		return err
	}
	o.memoryLimit = memoryLimit
	w, err := o.window()
	if err != nil {
		return err
	}
	set, err := o.loadRules(g)
	if err != nil {
		return err
	}
	rules, bad, settings := set.rules, set.bad, set.settings
	for _, e := range bad {
		g.logger.Error("rule skipped", "err", e)
	}
	if len(o.threatLists) == 0 {
		// Said at info level only to a user who chose the rule by name.
		level := slog.LevelDebug
		if len(o.rules) > 0 {
			level = slog.LevelInfo
		}
		for _, r := range rules {
			if r.Reads("threat_list") {
				g.logger.Log(ctx, level, "rule finds nothing without --threat-list", "rule", r.ID)
			}
		}
	}
	if len(rules) == 0 {
		return usageError(fmt.Errorf("no rules to run: %s", noRulesReason(o, bad)))
	}
	cfg, err := o.runConfig(w, settings)
	if err != nil {
		return err
	}
	for _, file := range o.allowlists {
		a, err := detections.LoadAllowlist(file)
		if err != nil {
			return usageError(err)
		}
		if err := a.CheckRules(set.all); err != nil {
			return usageError(err)
		}
		if cfg.Allowlist == nil {
			cfg.Allowlist = &detections.Allowlist{}
		}
		cfg.Allowlist.Add(a)
	}

	engine, err := query.Open(ctx, query.Options{Data: o.data, Since: cfg.DataSince(), Until: w.Until,
		Accounts: o.accounts, Regions: o.regions, MemoryLimit: o.memoryLimit, Threads: o.threads,
		// Findings are sorted in Go, so the window tables may fill in any order.
		AnyOrder: true})
	if err != nil {
		return sqlError(err)
	}
	defer engine.Close()
	start := time.Now()
	res, err := detections.Run(ctx, engine, rules, cfg)
	if errors.Is(err, detections.ErrNoRecords) {
		hint := "convert the flow logs of that period first, or choose another --since and --until"
		if len(o.accounts) > 0 || len(o.regions) > 0 {
			hint += "; check --account and --region, which match account ids and region names exactly"
		}
		return &statusError{code: exitNoData, err: fmt.Errorf("%w in %q: %s", err, o.data, hint)}
	}
	if err != nil {
		return sqlError(err)
	}
	for _, e := range res.Errors {
		g.logger.Error("rule failed", "err", e)
	}
	if err := writeFindings(g.stdout, format, res.Findings, len(res.Errors)+len(bad)); err != nil {
		return fmt.Errorf("write findings: %w", err)
	}
	g.logger.Info("detection finished", "rules", res.Rules, "findings", len(res.Findings), "suppressed", res.Suppressed,
		"failed_rules", len(res.Errors)+len(bad), "since", w.Since.Format(time.RFC3339), "until", w.Until.Format(time.RFC3339),
		"duration", time.Since(start).Round(time.Millisecond))

	failed := len(res.Errors) + len(bad)
	if failed > 0 {
		g.logger.Warn("rules failed", "failed_rules", failed, "ran", res.Rules)
	}
	if failOn > 0 {
		if n := detections.AtOrAbove(res.Findings, failOn); n > 0 {
			return &statusError{code: exitFindings, err: fmt.Errorf("%s at or above severity %s", plural(n, "finding"), failOn)}
		}
	}
	for _, e := range res.Errors {
		if query.KindOf(e) == query.KindOutOfMemory {
			return &statusError{code: exitOutOfMemory, err: fmt.Errorf("%w\nDuckDB ran out of memory: raise --memory-limit or narrow --since/--until", e)}
		}
	}
	if failed > 0 {
		others := "; the others ran"
		if res.Rules == 0 {
			others = "; no rule ran"
		}
		return &statusError{code: exitSQL, err: fmt.Errorf("%s invalid or failed%s", pluralVerb(failed, "rule", "was", "were"), others)}
	}
	return nil
}

// writeFindings writes findings in format. In a table, a run without
// findings prints "no findings" and the number of rules that failed, since
// those may have found something.
func writeFindings(w io.Writer, format string, findings []*detections.Finding, failed int) error {
	switch format {
	case "json":
		return detections.WriteJSON(w, findings)
	case "ocsf":
		return detections.WriteOCSF(w, findings, buildVersion())
	}
	if len(findings) == 0 {
		msg := "no findings"
		if failed > 0 {
			msg += fmt.Sprintf("; %s failed or could not be read (see the log)", plural(failed, "rule"))
		}
		_, err := fmt.Fprintln(w, msg)
		return err
	}
	return detections.WriteTable(w, findings)
}

func runDetectList(g *globalOptions, o *detectOptions) error {
	set, err := o.loadRules(g)
	if err != nil {
		return err
	}
	rules, bad, settings := set.rules, set.bad, set.settings
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tSEVERITY\tENTITY\tWINDOW\tATT&CK\tPARAMETERS")
	for _, r := range rules {
		var attack, params []string
		for _, a := range r.Attack {
			attack = append(attack, a.Tactic+":"+a.Technique)
		}
		for _, p := range r.Params {
			v := p.Name + "=" + r.Value(settings, p.Name)
			if p.Unit != "" {
				v += " (" + p.Unit + ")"
			}
			params = append(params, v)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Entity, detections.FormatDuration(r.Window),
			strings.Join(attack, ","), strings.Join(params, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return badRules(g, bad)
}

func badRules(g *globalOptions, bad []error) error {
	for _, e := range bad {
		g.logger.Error("rule skipped", "err", e)
	}
	if len(bad) > 0 {
		return &statusError{code: exitSQL, err: fmt.Errorf("%s invalid", pluralVerb(len(bad), "rule file", "is", "are")), silent: false}
	}
	return nil
}

func runDetectExplain(g *globalOptions, o *detectOptions, id string) error {
	set, err := o.loadRules(g)
	if err != nil {
		return err
	}
	rules, bad, settings := set.rules, set.bad, set.settings
	w, err := o.window()
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.ID != id {
			continue
		}
		cfg, err := o.runConfig(w, settings)
		if err != nil {
			return err
		}
		sql, err := detections.ReproduceSQL(r, &cfg)
		if err != nil {
			return usageError(err)
		}
		fmt.Fprintf(g.stdout, "-- %s: %s (%s)\n-- %s\n", r.ID, r.Title, r.Severity, r.File)
		for _, line := range strings.Split(r.Description, "\n") {
			fmt.Fprintf(g.stdout, "-- %s\n", line)
		}
		fmt.Fprintf(g.stdout, "-- window %s to %s; run with: flowq sql --data DIR -f FILE\n%s", w.Since.Format(time.RFC3339), w.Until.Format(time.RFC3339), sql)
		return badRules(g, bad)
	}
	return usageError(unknownRule(id, bad))
}
