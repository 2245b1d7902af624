package prober

import (
	"net"
	"net/http"
	"net/netip"
	"syscall"
)

// checkPageRedirect is http_2xx's redirect policy: at most 5 redirects, to
// http or https only, never to a link-local address by its literal IP
// (refuseLinkLocal catches names that resolve to one, at dial time).
func checkPageRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > 5 {
		return errTooManyRedirects
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return failuref(ReasonHTTPStatus, nil, "redirected to a %q URL; only http and https are followed", req.URL.Scheme) // bounded with the result
	}
	if addr, err := netip.ParseAddr(req.URL.Hostname()); err == nil && linkLocal(addr) {
		return failuref(ReasonHTTPStatus, nil, "redirected to %s, a link-local (cloud metadata) address; not followed", addr)
	}
	return nil
}

// refuseLinkLocal is the dialer's Control: no connection of a prober goes
// to a link-local address, where cloud metadata services answer, whatever
// name or redirect led there.
func refuseLinkLocal(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if addr, err := netip.ParseAddr(host); err == nil && linkLocal(addr) {
		return failuref(ReasonConnection, nil, "refused to connect to %s, a link-local (cloud metadata) address", addr)
	}
	return nil
}

// linkLocal reports whether addr is in 169.254.0.0/16 or fe80::/10 (with
// IPv4-mapped forms), or is AWS's IPv6 metadata address fd00:ec2::254.
func linkLocal(addr netip.Addr) bool {
	addr = addr.Unmap()
	return addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() || addr == awsMetadataV6
}

var awsMetadataV6 = netip.MustParseAddr("fd00:ec2::254")
