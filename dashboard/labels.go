package dashboard

import "github.com/dhis2-chap/chap_exporter/config"

// checkLabels are the names people read for the built-in checks; the one
// table to extend when a check is added. A check without an entry (a
// custom check, say) shows its own name.
var checkLabels = map[string]string{
	"http_2xx":                "Web page",
	"dhis2_ping":              "DHIS2 login",
	"dhis2_system_info":       "DHIS2 version",
	"dhis2_chap_route":        "chap route",
	"dhis2_chap_ping":         "chap-core",
	"dhis2_chap_system_info":  "chap-core version",
	"dhis2_chap_ready":        "chap-core ready",
	"dhis2_chap_modeling_app": "Modeling app",
	"dhis2_chap_climate_app":  "Climate app",
	"ocs_health":              "OCS health",
	"ocs_info":                "OCS version",
	"chapkit_health":          "chapkit health",
}

// CheckLabel is the readable name of a check.
func CheckLabel(check string) string {
	if label, ok := checkLabels[check]; ok {
		return label
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
