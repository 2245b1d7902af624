// Command dhis2sim serves the DHIS2 + chap-core simulator of package
// dhis2sim, for demos and for testing chap_exporter by hand.
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

// run parses args and serves until ctx ends. It is separate from main so
// tests can drive it.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	app := kingpin.New("dhis2sim", "Simulates DHIS2 with the chap route and chap-core behind it, or an Open Climate Service, or a chapkit service. Steer it with flags or the control API under /__sim/.")
	app.UsageWriter(stdout)
	listen := app.Flag("web.listen-address", "Address to listen on.").Default("127.0.0.1:8080").String()
	service := app.Flag("service", "What to serve: dhis2, ocs (Open Climate Service) or chapkit.").Default(string(dhis2sim.ServiceDHIS2)).Enum(services()...)
	healthPath := app.Flag("chapkit.health-path", "With --service=chapkit: where health is served (older chapkit: /api/v1/health).").String()
	username := app.Flag("username", "Accepted username.").Default(dhis2sim.DefaultUsername).String()
	passwordEnv := app.Flag("password-env", "Name of the environment variable holding the accepted password (default password when unset).").String()
	tokenEnv := app.Flag("token-env", "Name of the environment variable holding the accepted personal access token (default token when unset).").String()
	dhis2Version := app.Flag("dhis2.version", "DHIS2 version reported by /api/system/info.").String()
	chapCoreVersion := app.Flag("chap-core.version", "chap-core version reported by /system/info.").String()
	latency := app.Flag("latency", "Delay added to every simulated request.").Duration()
	scenarios := app.Flag("scenario", "Scenario to apply, in order; repeatable (see --list-scenarios).").PlaceHolder("NAME").Strings()
	faults := app.Flag("fault", "Fault to set, e.g. me:status=500 or apps:latency=2s; repeatable.").PlaceHolder("ENDPOINT:KEY=VALUE").Strings()
	certFile := app.Flag("tls.cert-file", "TLS certificate file; serves HTTPS together with --tls.key-file.").ExistingFile()
	keyFile := app.Flag("tls.key-file", "TLS key file.").ExistingFile()
	list := app.Flag("list-scenarios", "List the scenarios and exit.").Bool()
	if _, err := app.Parse(args); err != nil {
		return err
	}
	if *list {
		for _, sc := range dhis2sim.Scenarios() {
			fmt.Fprintf(stdout, "%-26s %s\n", sc.Name, sc.Description)
		}
		return nil
	}
	if (*certFile == "") != (*keyFile == "") {
		return errors.New("--tls.cert-file and --tls.key-file go together")
	}
	st := dhis2sim.State{Latency: *latency}
	for _, name := range *scenarios {
		if err := dhis2sim.ApplyScenario(&st, name); err != nil {
			return err
		}
	}
	for _, spec := range *faults {
		if err := dhis2sim.ApplyFault(&st, spec); err != nil {
			return err
		}
	}
	password, err := fromEnv(*passwordEnv)
	if err != nil {
		return err
	}
	token, err := fromEnv(*tokenEnv)
	if err != nil {
		return err
	}
	sim := dhis2sim.New(dhis2sim.Options{
		Username: *username, Password: password, Token: token,
		DHIS2Version: *dhis2Version, ChapCoreVersion: *chapCoreVersion,
		Service: dhis2sim.Service(*service), HealthPath: *healthPath,
	})
	sim.SetState(st)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: sim, ConnState: sim.ConnState, ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if *certFile != "" {
		scheme = "https"
	}
	// Name where the credentials come from; never log the secrets themselves.
	slog.Info("dhis2sim listening", "service", *service, "url", scheme+"://"+ln.Addr().String(), "username", *username,
		"password", source(*passwordEnv), "token", source(*tokenEnv), "scenarios", *scenarios, "faults", *faults)

	served := make(chan error, 1)
	go func() {
		if *certFile != "" {
			served <- srv.ServeTLS(ln, *certFile, *keyFile)
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
