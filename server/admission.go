package server

import (
	"fmt"
	"net/http"
)

// DefaultMaxRequests is the default of --web.max-requests, as in node_exporter.
const DefaultMaxRequests = 40

// admission admits a bounded number of probes at once. Beyond the bound a
// probe is refused at once instead of queueing: a queue behind slow targets
// would push every scrape, healthy targets included, past Prometheus's
// scrape timeout, and Prometheus retries on its next interval anyway.
type admission chan struct{}

// newAdmission admits n at once; n <= 0 means no limit.
func newAdmission(n int) admission {
	if n <= 0 {
		return nil
	}
	return make(admission, n)
}

// tryAcquire takes a slot without waiting; on true the caller must release.
func (a admission) tryAcquire() bool {
	if a == nil {
		return true
	}
	select {
	case a <- struct{}{}:
		return true
	default:
		return false
	}
}

func (a admission) release() {
	if a != nil {
		<-a
	}
}

// admitRun takes a slot for a chain run, held until the run ends; it is
// prober.Options.Admit.
func (s *Server) admitRun() (release func(), ok bool) {
	if !s.admission.tryAcquire() {
		return nil, false
	}
	return s.admission.release, true
}

// admitOrRefuse answers 503 when cap(s.admission) probes are already running,
// counting the refusal.
func (s *Server) admitOrRefuse(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.admission.tryAcquire() {
			s.metrics.Rejected("too_many_requests")
			http.Error(w, fmt.Sprintf("too many probes in flight (at most %d at once, --web.max-requests); try again later", cap(s.admission)),
				http.StatusServiceUnavailable)
			return
		}
		defer s.admission.release()
		next(w, r)
	}
}
