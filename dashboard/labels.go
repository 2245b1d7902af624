package dashboard

import "github.com/dhis2-chap/chap_exporter/config"

// checkLabels are the names people read for the built-in checks, in the
// order an operator walks the chain (site, login, versions, route, chap-core,
// apps); the one table to extend when a check is added. A check without an
// entry (a custom check, say) shows its own name after the listed ones.
var checkLabels = []struct{ check, label string }{
	{"http_2xx", "Web page"},
	{"dhis2_ping", "DHIS2 login"},
	{"dhis2_system_info", "DHIS2 version"},
	{"dhis2_chap_route", "chap route"},
	{"dhis2_chap_ping", "chap-core"},
	{"dhis2_chap_system_info", "chap-core version"},
	{"dhis2_chap_ready", "chap-core ready"},
	{"dhis2_chap_modeling_app", "Modeling app"},
	{"dhis2_chap_climate_app", "Climate app"},
	{"ocs_health", "OCS health"},
	{"ocs_info", "OCS version"},
	{"chapkit_health", "chapkit health"},
}

// checkRank is a check's place in checkLabels, or len(checkLabels) when it
// has none.
func checkRank(check string) int {
	for i, c := range checkLabels {
		if c.check == check {
			return i
		}
	}
	return len(checkLabels)
}

// CheckLabel is the readable name of a check.
func CheckLabel(check string) string {
	if i := checkRank(check); i < len(checkLabels) {
		return checkLabels[i].label
	}
	return check
}

var kindLabels = map[config.Kind]string{
	config.KindDHIS2:   "DHIS2",
	config.KindOCS:     "Open Climate Service",
	config.KindChapkit: "chapkit",
}

func kindLabel(k config.Kind) string {
	if label, ok := kindLabels[k]; ok {
		return label
	}
	return string(k)
}
