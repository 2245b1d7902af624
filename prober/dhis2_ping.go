package prober

import (
	"context"

	"github.com/dhis2-chap/chap_exporter/config"
)

func init() {
	Register("dhis2_ping", nil, CheckFunc(checkDHIS2Ping), AppliesTo(config.KindDHIS2))
}

// checkDHIS2Ping asks who we are: the cheapest call that proves DHIS2 is up
// and accepts the credentials.
func checkDHIS2Ping(ctx context.Context, s *Session) Result {
	resp, err := s.GetAPI(ctx, "/api/me")
	if err != nil {
		return Failed(err)
	}
	user, err := parseMe(resp.Body)
	if err != nil {
		return Failed(err)
	}
	return OK("authenticated as %s", user)
}

// parseMe returns the username (or id) of the /api/me answer.
func parseMe(body []byte) (string, error) {
	var me struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	}
	if err := decodeObject(body, &me); err != nil {
		return "", err
	}
	switch {
	case me.Username != "":
		return me.Username, nil
	case me.ID != "":
		return "user " + me.ID, nil
	}
	return "", failuref(ReasonBadResponse, nil, "/api/me answer has neither username nor id")
}
