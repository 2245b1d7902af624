package prober

import "net/http"

// noteCertificates keeps the earliest expiry of the certificates the target
// presented, for Report.CertExpiry.
func (p *probeState) noteCertificates(resp *http.Response) {
	if resp.TLS == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, cert := range resp.TLS.PeerCertificates {
		if p.certExpiry.IsZero() || cert.NotAfter.Before(p.certExpiry) {
			p.certExpiry = cert.NotAfter
		}
	}
}
