package testkit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// Await receives from ch, failing the test instead of hanging when what is
// awaited never comes (a broken exporter).
func Await[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("gave up waiting for %s", what)
		panic("unreachable")
	}
}

// errNotYet is what a false condition of Eventually reports.
var errNotYet = errors.New("condition not met")

// Eventually polls cond until it holds (true, or a nil error), and fails the
// test with what (and the last error) once timeout has passed. It is for
// what happens on another schedule (a process starting, Prometheus
// scraping, a goroutine joining); polling starts at once and backs off to
// 100ms, so a quick condition costs no fixed sleep.
func Eventually[C func() bool | func() error](t testing.TB, what string, timeout time.Duration, cond C) {
	t.Helper()
	var check func() error
	switch c := any(cond).(type) {
	case func() bool:
		check = func() error {
			if !c() {
				return errNotYet
			}
			return nil
		}
	case func() error:
		check = c
	}
	deadline := time.Now().Add(timeout)
	for pause := time.Millisecond; ; pause = min(2*pause, 100*time.Millisecond) {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(pause)
	}
}

// AwaitReady waits until url answers 200, for a server that was just started
// (name says which, in the failure).
func AwaitReady(t testing.TB, name, url string) {
	t.Helper()
	Eventually(t, name+" ready at "+url, 20*time.Second, func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return fmt.Errorf("status %d: %s", resp.StatusCode, body)
		}
		return nil
	})
}
