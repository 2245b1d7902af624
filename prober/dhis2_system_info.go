package prober

import (
	"context"

	"github.com/dhis2-chap/chap_exporter/config"
)

func init() {
	Register("dhis2_system_info", []string{"dhis2_ping"}, CheckFunc(checkDHIS2SystemInfo), AppliesTo(config.KindDHIS2))
}

// checkDHIS2SystemInfo reads the DHIS2 version; a 404 here means the server
// is not DHIS2.
func checkDHIS2SystemInfo(ctx context.Context, s *Session) Result {
	resp, err := s.GetAPI(ctx, "/api/system/info")
	if err != nil {
		return Failed(err)
	}
	version, revision, err := parseSystemInfo(resp.Body)
	if err != nil {
		return Failed(err)
	}
	return OK("DHIS2 %s", version).WithVersion("DHIS2", version, revision)
}

func parseSystemInfo(body []byte) (version, revision string, err error) {
	var info struct {
		Version  string `json:"version"`
		Revision string `json:"revision"`
	}
	err = decodeObject(body, &info)
	return info.Version, info.Revision, err
}
