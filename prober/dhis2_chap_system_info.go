package prober

import (
	"context"
	"strings"

	"github.com/dhis2-chap/chap_exporter/config"
)

func init() {
	Register("dhis2_chap_system_info", []string{"dhis2_chap_ping"}, CheckFunc(checkChapSystemInfo), AppliesTo(config.KindDHIS2))
}

// chapVersionPaths are where chap-core versions have published their
// version, newest first; a 404 moves on to the next.
var chapVersionPaths = []string{"/system/info", "/v1/system-info", "/system-info", "/v1/version", "/version"}

// checkChapSystemInfo reads the chap-core version through the route.
func checkChapSystemInfo(ctx context.Context, s *Session) Result {
	for _, path := range chapVersionPaths {
		resp, err := s.GetRoute(ctx, path)
		if err != nil {
			if classify(err).Reason == ReasonNotFound {
				continue
			}
			return Failed(err)
		}
		if err := requireJSON(resp, path, s.Target.Kind); err != nil {
			return Failed(err)
		}
		version, revision, err := parseChapInfo(resp.Body)
		if err != nil {
			return Failed(err)
		}
		return OK("chap-core %s (from %s)", version, path).WithVersion("chap-core", version, revision)
	}
	return Fail(ReasonNotFound, "chap-core has none of the version endpoints %s", strings.Join(chapVersionPaths, ", "))
}

// parseChapInfo reads chap_core_version (system info) or version (the old
// /version endpoint).
func parseChapInfo(body []byte) (version, revision string, err error) {
	var info struct {
		ChapCoreVersion string `json:"chap_core_version"`
		Version         string `json:"version"`
		Revision        string `json:"revision"`
	}
	if err := decodeObject(body, &info); err != nil {
		return "", "", err
	}
	if info.ChapCoreVersion != "" {
		return info.ChapCoreVersion, info.Revision, nil
	}
	return info.Version, info.Revision, nil
}
