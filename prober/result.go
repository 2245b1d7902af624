package prober

import (
	"fmt"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
)

// Status is the outcome of one check.
type Status string

// Check statuses. A check passes when it is ok or warn.
const (
	StatusOK      Status = "ok"      // works
	StatusWarn    Status = "warn"    // works but needs attention
	StatusFail    Status = "fail"    // does not work
	StatusError   Status = "error"   // the exporter itself broke while checking
	StatusSkipped Status = "skipped" // a requirement did not pass; nothing was sent
)

// Statuses lists every status in a stable order.
var Statuses = []Status{StatusOK, StatusWarn, StatusFail, StatusError, StatusSkipped}

// Passed reports whether dependents of a check with this status may run.
func (s Status) Passed() bool { return s == StatusOK || s == StatusWarn }

// Failing reports whether the check found a problem: it failed, or the
// exporter broke while checking. Failing checks get a failure reason series
// and open incidents.
func (s Status) Failing() bool { return s == StatusFail || s == StatusError }

// Reason classifies why a check did not simply pass; the set is small and
// fixed so alerts and dashboards can match on it.
type Reason string

// Reasons for fail and error (and, for warn, disabled and no_version).
const (
	ReasonAuth             Reason = "auth"              // credentials refused, or a login page instead of the API
	ReasonForbidden        Reason = "forbidden"         // 403
	ReasonNotFound         Reason = "not_found"         // 404
	ReasonTimeout          Reason = "timeout"           // the probe budget ran out
	ReasonConnection       Reason = "connection"        // refused, reset, DNS, closed early
	ReasonTLS              Reason = "tls"               // certificate or handshake problem
	ReasonHTTPStatus       Reason = "http_status"       // any other unexpected status code
	ReasonBadResponse      Reason = "bad_response"      // not JSON, wrong shape, too large
	ReasonMissing          Reason = "missing"           // route or app not there
	ReasonUpstreamDown     Reason = "upstream_down"     // route answered 502: chap-core did not respond
	ReasonUpstreamTimeout  Reason = "upstream_timeout"  // route answered 504: chap-core too slow
	ReasonRouteNotAllowed  Reason = "route_not_allowed" // route answered 503: URL not in route.remote_servers_allowed
	ReasonCanceled         Reason = "canceled"          // the caller went away
	ReasonPanic            Reason = "panic"             // a bug in a check, recovered
	ReasonDisabled         Reason = "disabled"          // warn: the route exists but is disabled
	ReasonNoVersion        Reason = "no_version"        // warn: no version reported
	ReasonUnsupported      Reason = "unsupported"       // the server is too old for this check
	ReasonRequirementUnmet Reason = "requirement"       // skipped: a requirement did not pass
	ReasonNotReady         Reason = "not_ready"         // a readiness endpoint reported failing subsystems
	ReasonMismatch         Reason = "mismatch"          // a custom check's JSON field had another value
)

// Request is one HTTP request a check made, for the debug output.
type Request struct {
	Path       string
	StatusCode int // 0 when no response arrived
	Duration   time.Duration
	Shared     bool   // answered from another check's identical request in the same probe
	Error      string // transport error, if any
}

// Result is what one check found.
type Result struct {
	Check    string
	Status   Status
	Reason   Reason // empty when ok
	Message  string
	Version  string
	Revision string
	Duration time.Duration
	Requests []Request
	// Subsystems are the parts a check inspected and their states as
	// reported ("ok" when up, see SubsystemUp), e.g. chap-core's db,
	// redis and celery; nil for most checks.
	Subsystems map[string]string
}

// HTTPStatusCode is the status code of the last response the check saw, 0 if none.
func (r Result) HTTPStatusCode() int {
	for i := len(r.Requests) - 1; i >= 0; i-- {
		if r.Requests[i].StatusCode != 0 {
			return r.Requests[i].StatusCode
		}
	}
	return 0
}

// Outcome is the status with the reason in parentheses when there is one,
// as tables and debug output show a result: "fail (timeout)", "ok".
func (r Result) Outcome() string {
	if r.Reason == "" {
		return string(r.Status)
	}
	return string(r.Status) + " (" + string(r.Reason) + ")"
}

// OK is a passing result.
func OK(format string, args ...any) Result {
	return Result{Status: StatusOK, Message: fmt.Sprintf(format, args...)}
}

// Warn is a passing result that needs attention.
func Warn(reason Reason, format string, args ...any) Result {
	return Result{Status: StatusWarn, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Fail is a failing result.
func Fail(reason Reason, format string, args ...any) Result {
	return Result{Status: StatusFail, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Failed turns an error from a Session call into a failing result; errors
// that are not a *Failure are classified by what they wrap.
func Failed(err error) Result {
	f := classify(err)
	return Result{Status: StatusFail, Reason: f.Reason, Message: f.Msg}
}

// WithVersion returns r carrying a version, or a warning when version is empty.
func (r Result) WithVersion(what, version, revision string) Result {
	if version == "" {
		return Warn(ReasonNoVersion, "%s reported no version", what)
	}
	r.Version, r.Revision = version, revision
	return r
}

// Report is the outcome of one probe of one target.
type Report struct {
	Target string
	// Label is the target's display name, else its name; Kind is its kind.
	Label    string
	Kind     config.Kind
	Start    time.Time
	Duration time.Duration
	Timeout  time.Duration
	Checks   []Result // in run order
	// CertExpiry is the earliest NotAfter of the target's TLS certificates; zero for plain HTTP.
	CertExpiry time.Time
	// Age is how long ago the run behind this report finished when
	// ProbeShared served it from the min_interval cache; 0 when the chain
	// ran for this call (alone or shared with concurrent callers).
	Age time.Duration
	// Shared is true when ProbeShared served this report from a run another
	// caller had started and this one joined.
	Shared bool
}

// End is when the chain run finished.
func (r *Report) End() time.Time { return r.Start.Add(r.Duration) }

// Success reports whether every check passed or was unsupported.
func (r *Report) Success() bool {
	for _, c := range r.Checks {
		if !c.Status.Passed() && !c.Unsupported() {
			return false
		}
	}
	return true
}
