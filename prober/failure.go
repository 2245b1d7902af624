package prober

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// Failure is an error that knows which reason a failed check reports.
type Failure struct {
	Reason Reason
	Msg    string
	Err    error
}

func (f *Failure) Error() string { return f.Msg }
func (f *Failure) Unwrap() error { return f.Err }

func failuref(reason Reason, err error, format string, args ...any) *Failure {
	return &Failure{Reason: reason, Msg: fmt.Sprintf(format, args...), Err: err}
}

// badLocation begins net/http's error for a redirect whose Location it
// cannot parse.
const badLocation = "failed to parse Location header"

// errTooManyRedirects stops http_2xx from following a redirect loop.
var errTooManyRedirects = errors.New("stopped after 5 redirects")

// classify maps an error to a Failure. Messages come from the innermost
// error, never from url.Error, so no URL is repeated into results.
func classify(err error) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var (
		dnsErr     *net.DNSError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		verifyErr  *tls.CertificateVerificationError
		recordErr  tls.RecordHeaderError
		alertErr   tls.AlertError
		netErr     net.Error
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return failuref(ReasonTimeout, err, "no answer within the probe's time budget")
	case errors.Is(err, context.Canceled):
		return failuref(ReasonCanceled, err, "probe canceled before an answer arrived")
	case errors.Is(err, errTooManyRedirects):
		return failuref(ReasonHTTPStatus, err, "more than 5 redirects (a redirect loop?)")
	case strings.HasPrefix(err.Error(), badLocation):
		// net/http's text quotes the whole Location, query and all; it has no type to match.
		return failuref(ReasonHTTPStatus, err, "redirected to a Location that is not a URL")
	case errors.As(err, &dnsErr):
		return failuref(ReasonConnection, err, "cannot resolve host %s: %s", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &unknownCA):
		return failuref(ReasonTLS, err, "certificate signed by an unknown authority (set tls_config.ca_file)")
	case errors.As(err, &hostErr):
		return failuref(ReasonTLS, err, "certificate is not valid for this host: %s", hostErr.Error())
	case errors.As(err, &invalidErr):
		return failuref(ReasonTLS, err, "invalid certificate: %s", invalidErr.Error())
	case errors.As(err, &verifyErr), errors.As(err, &recordErr), errors.As(err, &alertErr):
		return failuref(ReasonTLS, err, "TLS handshake failed: %s", err.Error())
	case errors.Is(err, syscall.ECONNREFUSED):
		return failuref(ReasonConnection, err, "connection refused")
	case errors.Is(err, syscall.ECONNRESET):
		return failuref(ReasonConnection, err, "connection reset by the server")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return failuref(ReasonConnection, err, "server closed the connection before answering in full")
	case errors.As(err, &netErr) && netErr.Timeout():
		return failuref(ReasonTimeout, err, "timed out: %s", err.Error())
	}
	return failuref(ReasonConnection, err, "request failed: %s", err.Error())
}
