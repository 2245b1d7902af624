package chapexporter

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/testkit"
)

// TestContainerImage builds the image with `make image` (podman) and checks what a
// user relies on: it runs as nobody, its entrypoint is the exporter, its command the
// default config path, it exposes 9977, and the binary inside is static. Containers
// cannot run in this sandbox, so the test exports the image's filesystem and runs it
// the way the runtime would: chrooted into it as the image's user, with the image's
// entrypoint and command, serving /probe against the simulator.
func TestContainerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a container image")
	}
	podman := testkit.RequireTool(t, "podman")
	testkit.RequireRoot(t, "the image's filesystem is run chrooted")
	image := fmt.Sprintf("localhost/chap_exporter-test:%d", time.Now().UnixNano())
	build := exec.Command("make", "-s", "image", "IMAGE_NAME="+strings.Split(image, ":")[0], "IMAGE_TAG="+strings.Split(image, ":")[1], "CONTAINER_ENGINE=podman")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(podman, "rmi", "-f", image).Run() })

	out, err := exec.Command(podman, "image", "inspect", image).Output()
	if err != nil {
		t.Fatalf("podman image inspect: %v", err)
	}
	var inspect []struct {
		Config struct {
			User         string
			Entrypoint   []string
			Cmd          []string
			ExposedPorts map[string]struct{}
		}
	}
	if err := json.Unmarshal(out, &inspect); err != nil || len(inspect) != 1 {
		t.Fatalf("podman image inspect: %v\n%s", err, out)
	}
	cfg := inspect[0].Config
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"user", cfg.User, "65534:65534"},
		{"entrypoint", cfg.Entrypoint, []string{"/bin/chap_exporter"}},
		{"cmd", cfg.Cmd, []string{"--config.file=/etc/chap_exporter/chap.yml"}},
		{"exposed ports", slices.Sorted(maps.Keys(cfg.ExposedPorts)), []string{"9977/tcp"}},
	} {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("image %s = %v, want %v", c.what, c.got, c.want)
		}
	}

	root := exportImage(t, podman, image)
	hostCAs, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Fatal(err)
	}
	if imageCAs, err := os.ReadFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); err != nil || !bytes.Equal(imageCAs, hostCAs) {
		t.Errorf("image lacks the build host's CA certificates at /etc/ssl/certs/ca-certificates.crt (%v)", err)
	}
	bin := filepath.Join(root, cfg.Entrypoint[0])
	if f, err := elf.Open(bin); err != nil {
		t.Errorf("%s: %v", cfg.Entrypoint[0], err)
	} else {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s is dynamically linked; want a static binary (CGO_ENABLED=0)", cfg.Entrypoint[0])
			}
		}
		f.Close()
	}
	for _, doc := range []string{"usr/share/doc/chap_exporter/LICENSE", "usr/share/doc/chap_exporter/NOTICE"} {
		if _, err := os.Stat(filepath.Join(root, doc)); err != nil {
			t.Errorf("image lacks /%s", doc)
		}
	}

	// The simulator on the host's loopback, and the config where the command expects it.
	simBin := filepath.Join(t.TempDir(), "dhis2sim")
	if out, err := exec.Command("go", "build", "-o", simBin, "./cmd/dhis2sim").CombinedOutput(); err != nil {
		t.Fatalf("go build dhis2sim: %v\n%s", err, out)
	}
	simAddr, exporterAddr := testkit.FreeLoopbackAddr(t), testkit.FreeLoopbackAddr(t)
	sim := exec.Command(simBin, "--web.listen-address="+simAddr)
	startAndStop(t, sim)
	testkit.AwaitReady(t, "dhis2sim", "http://"+simAddr+"/__sim/state")
	if err := os.MkdirAll(filepath.Join(root, "etc/chap_exporter"), 0o755); err != nil {
		t.Fatal(err)
	}
	chapYML := fmt.Sprintf("targets:\n  demo:\n    url: http://%s\n    auth: {token_env: DEMO_TOKEN}\n", simAddr)
	if err := os.WriteFile(filepath.Join(root, "etc/chap_exporter/chap.yml"), []byte(chapYML), 0o644); err != nil {
		t.Fatal(err)
	}

	var uid, gid uint32
	if _, err := fmt.Sscanf(cfg.User, "%d:%d", &uid, &gid); err != nil {
		t.Fatalf("image user %q is not uid:gid", cfg.User)
	}
	args := append(slices.Clone(cfg.Cmd), "--web.listen-address="+exporterAddr)
	exporter := exec.Command(cfg.Entrypoint[0], args...)
	exporter.Env = []string{"DEMO_TOKEN=" + dhis2sim.DefaultToken}
	exporter.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	exporter.Dir = "/"
	var logs bytes.Buffer
	exporter.Stdout, exporter.Stderr = &logs, &logs
	startAndStop(t, exporter)
	testkit.AwaitReady(t, "the image's chap_exporter", "http://"+exporterAddr+"/-/ready")
	body := get(t, "http://"+exporterAddr+"/probe?target=demo")
	if !strings.Contains(body, "\nprobe_success 1\n") {
		t.Errorf("/probe?target=demo from the image's binary:\n%s\nlogs:\n%s", body, logs.String())
	}
}

// exportImage writes the image's filesystem into a directory with podman and returns it.
func exportImage(t *testing.T, podman, image string) string {
	t.Helper()
	out, err := exec.Command(podman, "create", image).Output()
	if err != nil {
		t.Fatalf("podman create: %v", err)
	}
	container := strings.TrimSpace(string(out))
	defer func() { _ = exec.Command(podman, "rm", "-f", container).Run() }()
	archive := filepath.Join(t.TempDir(), "rootfs.tar")
	if out, err := exec.Command(podman, "export", "-o", archive, container).CombinedOutput(); err != nil {
		t.Fatalf("podman export: %v\n%s", err, out)
	}
	root := t.TempDir()
	// The image's user must be able to enter it once it is the root directory.
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return root
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeReg:
			if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
				var w *os.File
				if w, err = os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode).Perm()); err == nil {
					_, err = io.Copy(w, tr)
					err = errors.Join(err, w.Close())
				}
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// startAndStop starts cmd and stops it when the test ends.
func startAndStop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", url, resp.StatusCode, body)
	}
	return string(body)
}
