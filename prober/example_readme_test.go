package prober_test

import (
	"context"
	"encoding/json"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/prober"
)

func init() {
	// AppliesTo: the target kinds it runs on. OptIn: only on targets that list it in checks:.
	prober.Register("example_chap_python", []string{"dhis2_chap_ping"}, prober.CheckFunc(checkChapPython),
		prober.AppliesTo(config.KindDHIS2), prober.OptIn())
}

// checkChapPython reports the Python version chap-core runs on.
func checkChapPython(ctx context.Context, s *prober.Session) prober.Result {
	resp, err := s.GetRoute(ctx, "/system/info") // through the chap route; GetAPI for DHIS2 paths
	if err != nil {
		return prober.Failed(err) // the reason comes from the failure (auth, timeout, ...)
	}
	var info struct {
		PythonVersion string `json:"python_version"`
	}
	if err := json.Unmarshal(resp.Body, &info); err != nil {
		return prober.Fail(prober.ReasonBadResponse, "chap-core system info is not JSON: %v", err)
	}
	return prober.OK("chap-core runs on Python %s", info.PythonVersion).WithVersion("Python", info.PythonVersion, "")
}
