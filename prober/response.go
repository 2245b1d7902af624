package prober

import (
	"errors"
	"fmt"
	"net/http"
)

// Response is a successful (2xx) answer to an API request.
type Response struct {
	StatusCode  int
	ContentType string
	Body        []byte
}

// statusError is an answer whose status the call does not accept: the
// failure checks usually report, plus the response for checks that read
// error bodies (a 503 with the failing subsystems, an expected 404).
type statusError struct {
	failure error
	resp    *Response
}

func (e *statusError) Error() string { return e.failure.Error() }
func (e *statusError) Unwrap() error { return e.failure }

// withResponse attaches the response behind a status failure.
func withResponse(failure error, resp *http.Response, body []byte) error {
	return &statusError{failure: failure, resp: &Response{
		StatusCode:  resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"),
		Body:        body,
	}}
}

// ErrorResponse returns the response behind an error from GetAPI or
// GetRoute when the server answered, but with a status the call does not
// accept (a redirect, a 404, a 503, ...), so a check can read its body.
func ErrorResponse(err error) (*Response, bool) {
	var se *statusError
	if errors.As(err, &se) {
		return se.resp, true
	}
	return nil, false
}

// Skip is a result for a check that did not run for a reason other than a
// failed requirement, e.g. ReasonUnsupported.
func Skip(reason Reason, format string, args ...any) Result {
	return Result{Status: StatusSkipped, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Unsupported reports whether the check was skipped because the server is
// too old for it, which is not a failure.
func (r Result) Unsupported() bool {
	return r.Status == StatusSkipped && r.Reason == ReasonUnsupported
}

// SubsystemUp reports whether a subsystem state from Result.Subsystems
// means the subsystem works.
func SubsystemUp(state string) bool {
	return state == "ok" || state == "healthy"
}
