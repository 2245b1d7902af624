package server

import (
	"fmt"
	"net/http"
)

// DefaultMaxRequests is the default of --web.max-requests, as in node_exporter.
const DefaultMaxRequests = 40

// limiter admits a bounded number of probes at once. Beyond the bound a
// probe is refused at once instead of queueing: a queue behind slow targets
// would push every scrape, healthy targets included, past Prometheus's
// scrape timeout, and Prometheus retries on its next interval anyway.
type limiter chan struct{}

// newLimiter admits n at once; n <= 0 means no limit.
func newLimiter(n int) limiter {
	if n <= 0 {
		return nil
	}
	return make(limiter, n)
}

// tryAcquire takes a slot without waiting; on true the caller must release.
func (l limiter) tryAcquire() bool {
	if l == nil {
		return true
	}
	select {
	case l <- struct{}{}:
		return true
	default:
		return false
	}
}

func (l limiter) release() {
	if l != nil {
		<-l
	}
}

// admitRun takes a slot for a chain run, held until the run ends; it is
// prober.Options.Admit.
func (s *Server) admitRun() (release func(), ok bool) {
	if !s.probes.tryAcquire() {
		return nil, false
	}
	return s.probes.release, true
}

// limitProbes answers 503 when cap(s.probes) probes are already running,
// counting the refusal.
func (s *Server) limitProbes(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.probes.tryAcquire() {
			s.metrics.Rejected("too_many_requests")
			http.Error(w, fmt.Sprintf("too many probes in flight (at most %d at once, --web.max-requests); try again later", cap(s.probes)),
				http.StatusServiceUnavailable)
			return
		}
		defer s.probes.release()
		next(w, r)
	}
}
