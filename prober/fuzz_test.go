package prober

import (
	"context"
	"errors"
	"testing"
)

// Fuzz tests for every parser of a DHIS2 or chap-core answer. Whatever a
// server sends, a parser must not panic, and a refusal must be a *Failure
// with reason bad_response (so the check fails cleanly, not with error).
// Seeds: the committed corpora in testdata/fuzz/<FuzzName>.

// checkParseError fails the test unless err is nil or a bad_response Failure.
func checkParseError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var f *Failure
	if !errors.As(err, &f) || f.Reason != ReasonBadResponse || f.Msg == "" {
		t.Errorf("parser error %v (%T) is not a bad_response Failure with a message", err, err)
	}
}

func FuzzParseMe(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		user, err := parseMe(body)
		checkParseError(t, err)
		if err == nil && user == "" {
			t.Error("accepted /api/me without a user")
		}
	})
}

func FuzzParseSystemInfo(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _, err := parseSystemInfo(body)
		checkParseError(t, err)
	})
}

func FuzzParseRoutes(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte, code string) {
		r, found, err := parseRoutes(body, code)
		checkParseError(t, err)
		if found && r.Code != code {
			t.Errorf("found route with code %q looking for %q", r.Code, code)
		}
	})
}

func FuzzParseApps(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _, err := parseApps(context.Background(), body)
		checkParseError(t, err)
	})
}

func FuzzParseChapInfo(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _, err := parseChapInfo(body)
		checkParseError(t, err)
	})
}
