package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	webflag "github.com/prometheus/exporter-toolkit/web/kingpinflag"

	chapexporter "github.com/dhis2-chap/chap_exporter"
	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/migrate"
	"github.com/dhis2-chap/chap_exporter/prober"
	"github.com/dhis2-chap/chap_exporter/server"
)

const name = "chap_exporter"

func main() { os.Exit(run()) }

// run parses the command line and hands over to the command it names.
func run() int {
	chapexporter.SetVersion()
	app := newCLI()
	command, err := kingpin.CommandLine.Parse(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v, try --help\n", name, err)
		return exitUsage
	}
	switch {
	case *app.configExample:
		fmt.Print(config.Example)
		return 0
	case command == app.migrateCmd.FullCommand():
		return migrate.Run(app.migrate)
	case command == app.checkCmd.FullCommand():
		return check(app)
	case *app.configCheck:
		return checkConfig(*app.configFile)
	}
	return serve(app, promslog.New(app.logConfig))
}

// cli is the parsed command line: the commands and the flags they read.
type cli struct {
	checkCmd, migrateCmd *kingpin.CmdClause
	check                checkOptions
	checkOutput          *string
	migrate              migrate.RunOptions

	configFile, externalURL    *string
	configExample, configCheck *bool
	lifecycle                  *bool
	timeoutOffset              *float64
	maxRequests, maxPerHost    *int
	toolkitFlags               *web.FlagConfig
	logConfig                  *promslog.Config
}

// newCLI declares the commands and flags on kingpin.CommandLine.
func newCLI() *cli {
	kingpin.CommandLine.Help = "Probes DHIS2 servers and the chap-core behind their route. With no command it runs the exporter: exit code 0 after a graceful shutdown, 1 when it cannot start (configuration, listener) or its server fails, 2 for a usage error. The check and migrate commands list their own exit codes."
	kingpin.Command("serve", "Run the exporter (the default when no command is given).").Default()
	app := &cli{logConfig: &promslog.Config{}}
	addCheckCommand(app)
	addMigrateCommand(app)
	app.configFile = kingpin.Flag("config.file", "Configuration file.").Default("chap.yml").String()
	app.configExample = kingpin.Flag("config.example", "Print an annotated configuration covering every key and exit.").Bool()
	app.configCheck = kingpin.Flag("config.check", "Validate the configuration file, print the result and exit (0 valid, 1 invalid).").Bool()
	app.timeoutOffset = kingpin.Flag("timeout-offset", "Seconds subtracted from Prometheus's scrape timeout to leave time to answer.").Default("0.5").Float64()
	app.maxRequests = kingpin.Flag("web.max-requests", "Maximum probe runs (from /probe or /status; scrapes sharing a run count once) and status page renders at once; more get 503. 0 means no limit.").Default(strconv.Itoa(server.DefaultMaxRequests)).Int()
	app.lifecycle = kingpin.Flag("web.enable-lifecycle", "Enable reloading through POST /-/reload (SIGHUP always reloads).").Bool()
	app.maxPerHost = kingpin.Flag("dhis2.max-concurrent-requests-per-host", "Most requests in flight at once to one DHIS2 server (host:port), across all targets; 0 for no limit.").Default(strconv.Itoa(prober.DefaultMaxRequestsPerHost)).Int()
	app.externalURL = kingpin.Flag("web.external-url", "URL under which people reach the exporter (e.g. behind a reverse proxy), for absolute links in alerts. Default: http://<hostname>:<listen port>.").PlaceHolder("URL").String()
	app.toolkitFlags = webflag.AddFlags(kingpin.CommandLine, ":9977")
	promslogflag.AddFlags(kingpin.CommandLine, app.logConfig)
	kingpin.Version(version.Print(name))
	kingpin.HelpFlag.Short('h')
	setUsage()
	return app
}

// addCheckCommand declares the check command and its flags.
func addCheckCommand(app *cli) {
	checkCmd := kingpin.Command("check", "Probe targets once, print the results and exit. "+exitCodesHelp)
	app.checkCmd = checkCmd
	app.check = checkOptions{UserAgent: name + "/" + version.Version, Stdout: os.Stdout, Stderr: os.Stderr}
	checkCmd.Arg("target", "Targets from the configuration file (default: all).").StringsVar(&app.check.Targets)
	checkCmd.Flag("url", "Check this URL instead of targets from the configuration file.").StringVar(&app.check.URL)
	checkCmd.Flag("kind", "With --url: what the URL serves: dhis2 (default), ocs or chapkit.").StringVar(&app.check.Kind)
	checkCmd.Flag("token-env", "With --url: environment variable holding a personal access token.").StringVar(&app.check.TokenEnv)
	checkCmd.Flag("username", "With --url: user for Basic authentication.").StringVar(&app.check.Username)
	checkCmd.Flag("password-env", "With --url: environment variable holding the password.").StringVar(&app.check.PasswordEnv)
	checkCmd.Flag("timeout", "With --url: budget for the whole chain (default 10s).").DurationVar(&app.check.Timeout)
	checkCmd.Flag("checks", "Comma-separated checks to run (what they require is added): "+checkNames()+".").StringsVar(&app.check.Checks)
	app.checkOutput = checkCmd.Flag("output", "Output format: table or json.").Default("table").Enum("table", "json")
	checkCmd.Flag("quiet", "Print nothing when every check is ok (for cron).").Short('q').BoolVar(&app.check.Quiet)
}

// addMigrateCommand declares the migrate command and its flags.
func addMigrateCommand(app *cli) {
	migrateCmd := kingpin.Command("migrate", "Carry a chap-checker setup over: read its TOML file, write chap.yml, prometheus.yml, alertmanager.yml and secret files, and list what was not carried. "+migrate.ExitCodesHelp)
	app.migrateCmd = migrateCmd
	app.migrate = migrate.RunOptions{LookupEnv: os.LookupEnv, Stdout: os.Stdout, Stderr: os.Stderr}
	migrateCmd.Flag("from", "chap-checker's TOML file.").Envar("CHAP_CHECKER_CONFIG").Default("chap-checker.toml").StringVar(&app.migrate.From)
	migrateCmd.Flag("out", "Directory for the generated files.").Default("chap_exporter-migrated").StringVar(&app.migrate.Out)
	migrateCmd.Flag("force", "Overwrite files already in the output directory.").BoolVar(&app.migrate.Force)
}

// setUsage shapes --help and the man page.
func setUsage() {
	// Help is asked for, not an error: stdout, so `--help | less` works.
	kingpin.CommandLine.UsageWriter(os.Stdout)
	// `check --help` lists the flags check uses, not the server's.
	kingpin.CommandLine.UsageFuncs(template.FuncMap{"scopedFlags": scopedFlags})
	kingpin.CommandLine.UsageTemplate(strings.Replace(kingpin.DefaultUsageTemplate,
		"{{.Context.Flags|FlagsToTwoColumns|FormatTwoColumns}}",
		"{{scopedFlags .Context.SelectedCommand .Context.Flags|FlagsToTwoColumns|FormatTwoColumns}}", 1))
	// The man page header takes one line of version, not --version's block.
	kingpin.ManPageTemplate = strings.Replace(kingpin.ManPageTemplate,
		`.TH {{.App.Name}} 1 {{.App.Version}} "{{.App.Author}}"`,
		`.TH {{.App.Name}} 1 "" "`+strings.TrimSpace(name+" "+version.Version)+`"`, 1)
}

// check runs the check command, stopping its probes on SIGINT or SIGTERM.
func check(app *cli) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := app.check
	opts.ConfigFile, opts.JSON, opts.Colour = *app.configFile, *app.checkOutput == "json", isTerminal(os.Stdout)
	return runCheck(ctx, opts)
}

// checkConfig validates the configuration file (--config.check).
func checkConfig(file string) int {
	cfg, err := config.Load(file, prober.KindsOf)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(os.Stderr, "warning:", w)
	}
	fmt.Printf("%s: valid, %s\n", file, plural(len(cfg.Targets), "target"))
	return 0
}

// serve runs the exporter until it is told to stop.
func serve(app *cli, logger *slog.Logger) int {
	// Signals are taken over before anything listens: a SIGHUP that arrives
	// as soon as /-/ready answers must reload, not kill the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, os.Interrupt)

	external, err := server.ExternalURL(*app.externalURL, *app.toolkitFlags.WebListenAddresses)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v, try --help\n", name, err)
		return exitUsage
	}
	logger.Info("Starting "+name, "version", version.Info(), "build_context", version.BuildContext(), "external_url", external)
	srv, err := server.New(server.Options{
		ExternalURL:        external,
		ConfigFile:         *app.configFile,
		TimeoutOffset:      time.Duration(*app.timeoutOffset * float64(time.Second)),
		UserAgent:          name + "/" + version.Version,
		Logger:             logger,
		MaxRequests:        *app.maxRequests,
		MaxRequestsPerHost: *app.maxPerHost,
		EnableLifecycle:    *app.lifecycle,
	})
	if err != nil {
		logger.Error("Cannot start", "err", err)
		return 1
	}
	return listen(srv, app.toolkitFlags, logger, hup, term)
}

// listen serves srv, reloading on hup and shutting down gracefully on term.
func listen(srv *server.Server, flags *web.FlagConfig, logger *slog.Logger, hup, term chan os.Signal) int {
	httpServer := srv.HTTPServer()
	serveErr := make(chan error, 1)
	go func() { serveErr <- web.ListenAndServe(httpServer, flags, logger) }()

	for {
		select {
		case <-hup:
			// In the background, so no reload can keep SIGTERM waiting;
			// Reload runs one at a time and logs its own outcome.
			go func() { _, _ = srv.Reload() }()
		case err := <-serveErr:
			if !errors.Is(err, http.ErrServerClosed) {
				logger.Error("HTTP server failed", "err", err)
				return 1
			}
			return 0
		case sig := <-term:
			grace := shutdownGrace(srv.Config())
			logger.Info("Shutting down; waiting for probes in flight (signal again to exit at once)", "signal", sig.String(), "at_most", grace)
			ctx, cancel := context.WithTimeout(context.Background(), grace)
			defer cancel()
			go func() {
				sig := <-term
				logger.Warn("Exiting at once on a second signal", "signal", sig.String())
				os.Exit(1)
			}()
			if err := httpServer.Shutdown(ctx); err != nil {
				logger.Warn("Probes still running at shutdown deadline", "err", err)
			}
			return 0
		}
	}
}

// shutdownGrace lets the longest probe budget finish, plus a second; with
// config.MaxTimeout that is at most 5m1s.
func shutdownGrace(cfg *config.Config) time.Duration {
	grace := config.DefaultTimeout
	for _, t := range cfg.Targets {
		grace = max(grace, time.Duration(t.Timeout))
	}
	return grace + time.Second
}

// sharedFlags are the global flags a command other than serve uses.
var sharedFlags = map[string]bool{"help": true, "config.file": true}

// scopedFlags keeps, for a command other than serve, its own flags and the
// global ones it uses.
func scopedFlags(cmd *kingpin.CmdModel, flags []*kingpin.FlagModel) []*kingpin.FlagModel {
	if cmd == nil || cmd.Name == "serve" {
		return flags
	}
	var own []*kingpin.FlagModel
	for _, f := range flags {
		if sharedFlags[f.Name] || slices.ContainsFunc(cmd.Flags, func(c *kingpin.FlagModel) bool { return c.Name == f.Name }) {
			own = append(own, f)
		}
	}
	return own
}

// plural says "1 target" or "3 targets".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
