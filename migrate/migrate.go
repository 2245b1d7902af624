package migrate

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dhis2-chap/chap_exporter/config"
)

// Options of one migration.
type Options struct {
	// OutDir is where the files go; alertmanager.yml names its secret files
	// by their absolute path, since Alertmanager does not resolve them
	// against its configuration's directory.
	OutDir string
	// LookupEnv reads the variables named by *_env keys of alerters, whose
	// values are written to secret files when set (os.LookupEnv).
	LookupEnv func(string) (string, bool)
}

// Plan is what a migration writes and tells.
type Plan struct {
	Files []File
	// NotCarried lists what chap_exporter has no place for, with the reason.
	NotCarried []Item
	// Steps are left to the user.
	Steps []string
}

// File is one output file.
type File struct {
	Path    string // relative to the output directory, slash-separated
	Content []byte
	Secret  bool   // written with mode 0600
	Summary string // what it holds, for the report; never the content
}

// Item is one setting that was not carried, and why.
type Item struct{ What, Why string }

// migration is the state of one New call.
type migration struct {
	src      *Source
	opts     Options
	absOut   string
	plan     Plan
	targets  map[string]*config.Target
	env      []string // variables the exporter needs at run time
	webhooks []string // receivers that need Alertmanager 0.26+
}

// New plans the migration of src. It reads nothing but the environment
// variables named by alerters and writes nothing.
func New(src *Source, opts Options) (*Plan, error) {
	abs, err := filepath.Abs(opts.OutDir)
	if err != nil {
		return nil, fmt.Errorf("output directory %s: %w", opts.OutDir, err)
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	m := &migration{src: src, opts: opts, absOut: abs}
	m.global()
	m.chapConfig()
	m.exporterSteps()
	m.prometheusConfig()
	m.alertmanagerConfig()
	m.cronStep()
	return &m.plan, nil
}

// Reasons shared by several keys.
const retryReason = "Prometheus probes again at every scrape, and an alert waits for the check to fail for 2 minutes, so one failed request is never an alert"

// global reports the top-level settings chap_exporter has no place for.
func (m *migration) global() {
	s := m.src
	if s.Concurrency != nil {
		m.notCarried("concurrency", "Prometheus scrapes every target on its own; the exporter bounds the load with --web.max-requests and --dhis2.max-concurrent-requests-per-host")
	}
	if s.Retry != nil {
		m.notCarried("[retry]", retryReason)
	}
	if s.Auth != nil && (s.Auth.Token != "" || s.Auth.TokenEnv != "") {
		m.notCarried("[auth]", "it protected chap-checker's web daemon; protect the exporter's endpoints with --web.config.file (TLS and basic auth), see README \"TLS and basic auth on the exporter\"")
	}
	for _, k := range s.unknown {
		m.notCarried(k, "not a chap-checker key; nothing to carry it to")
	}
}

func (m *migration) exporterSteps() {
	if len(m.env) > 0 {
		slices.Sort(m.env)
		m.step("Give the exporter the environment variables chap.yml names: %s.", strings.Join(slices.Compact(m.env), ", "))
	}
	if m.targets != nil {
		m.step("Check the exporter's configuration: chap_exporter --config.file=%s --config.check", m.outPath("chap.yml"))
	}
}

func (m *migration) cronStep() {
	if m.targets != nil {
		m.step("Replace the cron job running `chap-checker verify` with Prometheus and Alertmanager; for a one-shot run use `chap_exporter --config.file=%s check` (exit codes 0 ok, 1 not ok, 2 usage, as before). chap-checker's state file is not needed: Prometheus and Alertmanager keep the state.", m.outPath("chap.yml"))
	}
}

func (m *migration) file(rel string, content []byte, summary string) {
	m.plan.Files = append(m.plan.Files, File{Path: rel, Content: content, Summary: summary})
}

// secret plans secrets/NAME with value and returns its path relative to the
// output directory.
func (m *migration) secret(name, value, summary string) string {
	rel := "secrets/" + name
	m.plan.Files = append(m.plan.Files, File{Path: rel, Content: []byte(value + "\n"), Secret: true, Summary: "(" + summary + ", mode 0600)"})
	return rel
}

func (m *migration) notCarried(what, why string) {
	m.plan.NotCarried = append(m.plan.NotCarried, Item{What: what, Why: why})
}

func (m *migration) step(format string, args ...any) {
	m.plan.Steps = append(m.plan.Steps, fmt.Sprintf(format, args...))
}

// outPath is rel under the output directory as the user gave it.
func (m *migration) outPath(rel string) string { return filepath.Join(m.opts.OutDir, rel) }

// absPath is rel under the output directory as an absolute path.
func (m *migration) absPath(rel string) string { return filepath.Join(m.absOut, rel) }

// ErrExists is returned by Write when it would overwrite a file without force.
var ErrExists = errors.New("already exists; use --force to overwrite")

// Write writes the plan under dir: secret files with mode 0600 in a 0700
// directory. Without force it writes nothing when any file already exists.
func (p *Plan) Write(dir string, force bool) error {
	if !force {
		for _, f := range p.Files {
			path := filepath.Join(dir, filepath.FromSlash(f.Path))
			if _, err := os.Lstat(path); err == nil {
				return fmt.Errorf("%s %w", path, ErrExists)
			}
		}
	}
	// The output directory itself holds no secret; only secrets/ is private,
	// whichever file happens to be written first.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range p.Files {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		dirMode, mode := os.FileMode(0o755), os.FileMode(0o644)
		if f.Secret {
			dirMode, mode = 0o700, 0o600
		}
		if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
			return err
		}
		if err := writeFile(path, f.Content, mode); err != nil {
			return err
		}
	}
	return nil
}

// writeFile replaces path with a new file created with mode, so that an
// existing file's wider mode never applies to a secret.
func writeFile(path string, content []byte, mode os.FileMode) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Report prints what was written under dir, what was not carried and the
// steps left. It names files, keys and variables, never a secret.
func (p *Plan) Report(w io.Writer, dir string) {
	width := 0
	for _, f := range p.Files {
		width = max(width, len(filepath.Join(dir, f.Path)))
	}
	// Configuration first, then the secrets it names.
	files := slices.Clone(p.Files)
	slices.SortStableFunc(files, func(a, b File) int {
		return cmp.Compare(boolRank(a.Secret), boolRank(b.Secret))
	})
	for _, f := range files {
		fmt.Fprintf(w, "  wrote %-*s  %s\n", width, filepath.Join(dir, f.Path), f.Summary)
	}
	if len(p.NotCarried) > 0 {
		fmt.Fprintln(w, "not carried:")
		items := slices.Clone(p.NotCarried)
		slices.SortStableFunc(items, func(a, b Item) int { return cmp.Compare(a.What, b.What) })
		for _, it := range items {
			fmt.Fprintf(w, "  %s: %s\n", it.What, it.Why)
		}
	}
	if len(p.Steps) > 0 {
		fmt.Fprintln(w, "steps left:")
		for i, s := range p.Steps {
			fmt.Fprintf(w, "  %d. %s\n", i+1, s)
		}
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Exit codes of `chap_exporter migrate`.
const (
	ExitOK    = 0 // written; whatever was not carried is reported
	ExitError = 2 // unreadable or invalid input, or a file in the way
)

// ExitCodesHelp documents the exit codes for --help.
const ExitCodesHelp = "Exit codes: 0 written (what could not be carried is listed), 2 unreadable or invalid TOML, or output files already there."

// RunOptions are the settings of `chap_exporter migrate`.
type RunOptions struct {
	From, Out string
	Force     bool
	LookupEnv func(string) (string, bool)
	Stdout    io.Writer
	Stderr    io.Writer
}

// Run migrates From into Out, prints the report and returns the exit code.
func Run(opts RunOptions) int {
	src, err := Load(opts.From)
	if err != nil {
		fmt.Fprintln(opts.Stderr, "chap_exporter migrate:", err)
		return ExitError
	}
	plan, err := New(src, Options{OutDir: opts.Out, LookupEnv: opts.LookupEnv})
	if err == nil {
		err = plan.Write(opts.Out, opts.Force)
	}
	if err != nil {
		fmt.Fprintln(opts.Stderr, "chap_exporter migrate:", err)
		return ExitError
	}
	plan.Report(opts.Stdout, opts.Out)
	return ExitOK
}
