package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dhis2sim:", err)
		os.Exit(1)
	}
}

// flags are the command line's settings.
type flags struct {
	listen, service, healthPath     string
	username, passwordEnv, tokenEnv string
	dhis2Version, chapCoreVersion   string
	latency                         time.Duration
	scenarios, faults               []string
	certFile, keyFile               string
	list                            bool
}

// run parses args and serves until ctx ends. It is separate from main so
// tests can drive it.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	f, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	if f.list {
		for _, sc := range dhis2sim.Scenarios() {
			fmt.Fprintf(stdout, "%-26s %s\n", sc.Name, sc.Description)
		}
		return nil
	}
	if (f.certFile == "") != (f.keyFile == "") {
		return errors.New("--tls.cert-file and --tls.key-file go together")
	}
	sim, err := newSim(f)
	if err != nil {
		return err
	}
	return serve(ctx, sim, f)
}

func parseFlags(args []string, stdout io.Writer) (*flags, error) {
	var f flags
	app := kingpin.New("dhis2sim", "Simulates DHIS2 with the chap route and chap-core behind it, or an Open Climate Service, or a chapkit service. Steer it with flags or the control API under /__sim/.")
	app.UsageWriter(stdout)
	app.Flag("web.listen-address", "Address to listen on.").Default("127.0.0.1:8080").StringVar(&f.listen)
	app.Flag("service", "What to serve: dhis2, ocs (Open Climate Service) or chapkit.").Default(string(dhis2sim.ServiceDHIS2)).EnumVar(&f.service, services()...)
	app.Flag("chapkit.health-path", "With --service=chapkit: where health is served (older chapkit: /api/v1/health).").StringVar(&f.healthPath)
	app.Flag("username", "Accepted username.").Default(dhis2sim.DefaultUsername).StringVar(&f.username)
	app.Flag("password-env", "Name of the environment variable holding the accepted password (default password when unset).").StringVar(&f.passwordEnv)
	app.Flag("token-env", "Name of the environment variable holding the accepted personal access token (default token when unset).").StringVar(&f.tokenEnv)
	app.Flag("dhis2.version", "DHIS2 version reported by /api/system/info.").StringVar(&f.dhis2Version)
	app.Flag("chap-core.version", "chap-core version reported by /system/info.").StringVar(&f.chapCoreVersion)
	app.Flag("latency", "Delay added to every simulated request.").DurationVar(&f.latency)
	app.Flag("scenario", "Scenario to apply, in order; repeatable (see --list-scenarios).").PlaceHolder("NAME").StringsVar(&f.scenarios)
	app.Flag("fault", "Fault to set, e.g. me:status=500 or apps:latency=2s; repeatable.").PlaceHolder("ENDPOINT:KEY=VALUE").StringsVar(&f.faults)
	app.Flag("tls.cert-file", "TLS certificate file; serves HTTPS together with --tls.key-file.").ExistingFileVar(&f.certFile)
	app.Flag("tls.key-file", "TLS key file.").ExistingFileVar(&f.keyFile)
	app.Flag("list-scenarios", "List the scenarios and exit.").BoolVar(&f.list)
	if _, err := app.Parse(args); err != nil {
		return nil, err
	}
	return &f, nil
}

// newSim builds the simulator with the flags' credentials, versions and
// service, in the state their latency, scenarios and faults describe.
func newSim(f *flags) (*dhis2sim.Sim, error) {
	st := dhis2sim.State{Latency: f.latency}
	for _, name := range f.scenarios {
		if err := dhis2sim.ApplyScenario(&st, name); err != nil {
			return nil, err
		}
	}
	for _, spec := range f.faults {
		if err := dhis2sim.ApplyFault(&st, spec); err != nil {
			return nil, err
		}
	}
	password, err := fromEnv(f.passwordEnv)
	if err != nil {
		return nil, err
	}
	token, err := fromEnv(f.tokenEnv)
	if err != nil {
		return nil, err
	}
	sim := dhis2sim.New(dhis2sim.Options{
		Username: f.username, Password: password, Token: token,
		DHIS2Version: f.dhis2Version, ChapCoreVersion: f.chapCoreVersion,
		Service: dhis2sim.Service(f.service), HealthPath: f.healthPath,
	})
	sim.SetState(st)
	return sim, nil
}

// serve serves sim on the flags' address, over TLS when they name a
// certificate, until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, sim *dhis2sim.Sim, f *flags) error {
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: sim, ConnState: sim.ConnState, ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if f.certFile != "" {
		scheme = "https"
	}
	// Name where the credentials come from; never log the secrets themselves.
	slog.Info("dhis2sim listening", "service", f.service, "url", scheme+"://"+ln.Addr().String(), "username", f.username,
		"password", source(f.passwordEnv), "token", source(f.tokenEnv), "scenarios", f.scenarios, "faults", f.faults)

	served := make(chan error, 1)
	go func() {
		if f.certFile != "" {
			served <- srv.ServeTLS(ln, f.certFile, f.keyFile)
		} else {
			served <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func services() []string {
	names := make([]string, len(dhis2sim.Services))
	for i, s := range dhis2sim.Services {
		names[i] = string(s)
	}
	return names
}

// fromEnv reads the environment variable called name; an empty name means
// "use the default", an empty variable is a mistake worth stopping for.
func fromEnv(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("environment variable %s is empty or unset", name)
	}
	return v, nil
}

func source(envName string) string {
	if envName == "" {
		return "default"
	}
	return "$" + envName
}
