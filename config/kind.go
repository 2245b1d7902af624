package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Kind says what sort of service a target is; it decides which checks apply.
type Kind string

// The target kinds. A target without a kind is a DHIS2 server.
const (
	KindDHIS2   Kind = "dhis2"
	KindOCS     Kind = "ocs"     // Open Climate Service (openEO), public endpoints
	KindChapkit Kind = "chapkit" // a chapkit service (chap model service) with /health
)

// Kinds lists every target kind in a stable order.
var Kinds = []Kind{KindDHIS2, KindOCS, KindChapkit}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, known := range Kinds {
		if k == known {
			return true
		}
	}
	return false
}

// nameList joins a list of names for "want one of ..." messages.
func nameList[T ~string](names []T) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = string(n)
	}
	return strings.Join(parts, ", ")
}

// noCredentialsBecause says why a kind takes no credentials; kinds not
// listed (dhis2) take them.
var noCredentialsBecause = map[Kind]string{
	KindOCS:     "Open Climate Service endpoints are public",
	KindChapkit: "chapkit health endpoints are unauthenticated by convention, and a DHIS2 token means nothing to a chapkit service",
}

// validateKindKeys rejects keys that mean nothing for the target's kind,
// then fills the defaults of the keys that do.
func (t *Target) validateKindKeys() error {
	if t.Kind != KindDHIS2 {
		for _, k := range []struct{ key, value string }{
			{"route_code", t.RouteCode}, {"modeling_app_hub_id", t.ModelingAppHubID}, {"climate_app_hub_id", t.ClimateAppHubID},
		} {
			if k.value != "" {
				return keyErrorf(k.key, "applies only to kind dhis2, not %s", t.Kind)
			}
		}
		for i, c := range t.CustomChecks {
			if c.Route {
				return keyErrorf(fmt.Sprintf("custom_checks[%d].route", i), "route: true runs through DHIS2's chap route and needs kind dhis2, not %s", t.Kind)
			}
		}
	}
	if why, ok := noCredentialsBecause[t.Kind]; ok && t.Auth.given() {
		return keyErrorf("auth", "%s target takes no credentials: %s", article(t.Kind), why)
	}
	if t.Kind != KindChapkit && t.HealthPath != "" {
		return keyErrorf("health_path", "applies only to kind chapkit, not %s", t.Kind)
	}
	switch t.Kind {
	case KindDHIS2:
		if t.RouteCode == "" {
			t.RouteCode = DefaultRouteCode
		} else if !routeCodeRE.MatchString(t.RouteCode) {
			return keyErrorf("route_code", "%q must match %s", t.RouteCode, routeCodeRE)
		}
		if t.ModelingAppHubID == "" {
			t.ModelingAppHubID = DefaultModelingAppHubID
		}
		if t.ClimateAppHubID == "" {
			t.ClimateAppHubID = DefaultClimateAppHubID
		}
	case KindChapkit:
		if t.HealthPath == "" {
			t.HealthPath = DefaultHealthPath
		} else if err := validatePath(t.HealthPath); err != nil {
			return keyErrorf("health_path", "%q %s", t.HealthPath, err)
		}
	}
	return nil
}

// validatePath accepts a path relative to the target URL: starting with a
// single /, without .. segments, fragment or query.
func validatePath(p string) error {
	u, err := url.Parse(p)
	switch {
	case err != nil || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || u.Fragment != "" || u.RawQuery != "":
		return fmt.Errorf("must be a path like /health: start with / and have no query or fragment")
	case slices.Contains(strings.Split(u.Path, "/"), ".."):
		return fmt.Errorf("must not contain .. segments")
	}
	return nil
}

// checkApplies says why a target of kind cannot select the check name, or nil.
func checkApplies(checks CheckKinds, name string, kind Kind) error {
	kinds := checks(name)
	switch {
	case kinds == nil:
		return fmt.Errorf("unknown check %q%s", name, didYouMean(name, func(n string) bool { return slices.Contains(checks(n), kind) }))
	case !slices.Contains(kinds, kind):
		return fmt.Errorf("check %s does not apply to kind %s", name, kind)
	}
	return nil
}

// article is "an ocs" or "a dhis2": how errors name a target of kind k.
func article(k Kind) string {
	if strings.HasPrefix(string(k), "o") {
		return "an " + string(k)
	}
	return "a " + string(k)
}
