package prober

import (
	"cmp"
	"context"
	"strings"

	"github.com/dhis2-chap/chap_exporter/config"
)

func init() {
	Register("ocs_info", []string{"ocs_health"}, CheckFunc(checkOCSInfo), AppliesTo(config.KindOCS))
}

// ocsInfo is what /info (the application) and / (the openEO capabilities,
// JSON only when asked for with Accept) say about an Open Climate Service.
type ocsInfo struct {
	AppVersion string `json:"app_version"`
	ReadOnly   *bool  `json:"read_only"`
}

type openEOCapabilities struct {
	APIVersion     string `json:"api_version"`
	BackendVersion string `json:"backend_version"`
	ID             string `json:"id"`
}

// checkOCSInfo fetches /info and / at once; both must be JSON objects. The
// version is /info's app_version, else the backend_version of /.
func checkOCSInfo(ctx context.Context, s *Session) Result {
	paths := []string{"/info", "/"}
	var (
		info ocsInfo
		caps openEOCapabilities
	)
	resps, errs := s.GetAPIs(ctx, paths...)
	var failures []*Failure
	for i, into := range []any{&info, &caps} {
		err := errs[i]
		if err == nil {
			err = decodeObjectAt(resps[i].Body, paths[i], into)
		}
		if err != nil {
			failures = append(failures, classify(err))
		}
	}
	if len(failures) > 0 {
		msgs := make([]string, len(failures))
		for i, f := range failures {
			msgs[i] = f.Msg
		}
		return Fail(failures[0].Reason, "%s", strings.Join(msgs, "; "))
	}
	version := cmp.Or(info.AppVersion, caps.BackendVersion)
	var details []string
	if caps.APIVersion != "" {
		details = append(details, "openEO "+truncate(caps.APIVersion, MaxLabelBytes))
	}
	if info.ReadOnly != nil {
		details = append(details, map[bool]string{true: "read-only", false: "writable"}[*info.ReadOnly])
	}
	if caps.ID != "" {
		details = append(details, "backend "+truncate(caps.ID, MaxLabelBytes))
	}
	about := ""
	if len(details) > 0 {
		about = " (" + strings.Join(details, ", ") + ")"
	}
	if version == "" {
		return Warn(ReasonNoVersion, "Open Climate Service reported no version%s", about)
	}
	return OK("Open Climate Service %s%s", version, about).WithVersion("Open Climate Service", version, "")
}

// decodeObjectAt is decodeObject with messages that name path.
func decodeObjectAt(body []byte, path string, v any) error {
	if kind := jsonKind(body); kind != "object" {
		if kind == "" {
			kind = "something that is not JSON"
		}
		return failuref(ReasonBadResponse, nil, "%s did not return a JSON object (got %s)", path, kind)
	}
	if err := decodeObject(body, v); err != nil {
		f := classify(err)
		return failuref(f.Reason, err, "%s: %s", path, f.Msg)
	}
	return nil
}
