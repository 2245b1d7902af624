package prober

import (
	"context"
	"io"
	"time"
)

// MaxBodyBytes caps how much of a response body a check reads, so a huge or
// endless answer cannot exhaust the exporter's memory.
const MaxBodyBytes = 2 << 20

// fetch performs one authenticated API GET.
func (p *probeState) fetch(ctx context.Context, ar apiRequest) (*Response, Request, error) {
	start := time.Now()
	rec := Request{Path: ar.path}
	req, err := p.prober.newRequest(ctx, ar.path, true)
	if err != nil {
		return nil, rec, err
	}
	resp, err := p.prober.apiClient.Do(req)
	if err != nil {
		f := p.classify(err)
		rec.Duration, rec.Error = time.Since(start), f.Msg
		return nil, rec, f
	}
	defer resp.Body.Close()
	p.noteCertificates(resp)
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	rec.StatusCode, rec.Duration = resp.StatusCode, time.Since(start)
	if readErr != nil {
		f := p.classify(readErr)
		rec.Error = f.Msg
		return nil, rec, f
	}
	if len(body) > MaxBodyBytes {
		return nil, rec, failuref(ReasonBadResponse, nil, "answer to %s is larger than %d bytes", ar.path, MaxBodyBytes)
	}
	if err := statusFailure(p.prober.target.Kind, ar, resp, body); err != nil {
		return nil, rec, withResponse(err, resp, body)
	}
	return &Response{StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: body}, rec, nil
}

// classify is classify with the probe's budget in timeout messages.
func (p *probeState) classify(err error) *Failure {
	f := classify(err)
	if f.Reason == ReasonTimeout {
		f = failuref(ReasonTimeout, f.Err, "no answer within the probe's %s budget", p.budget)
	}
	return f
}
