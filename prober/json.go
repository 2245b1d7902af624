package prober

import (
	"bytes"
	"encoding/json"
	"mime"
	"strings"

	"github.com/dhis2-chap/chap_exporter/config"
)

// requireJSON rejects HTML (a login page behind SSO) and other non-JSON answers.
func requireJSON(resp *Response, path string, kind config.Kind) error {
	mediaType, _, _ := mime.ParseMediaType(resp.ContentType)
	switch {
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		return nil
	case mediaType == "text/html" && kind != config.KindDHIS2:
		return failuref(ReasonBadResponse, nil, "%s answered an HTML page instead of JSON (a login or proxy page in front of the service?)", path)
	case mediaType == "text/html":
		return failuref(ReasonAuth, nil, "%s answered an HTML page instead of JSON (a login page?): credentials not accepted", path)
	}
	return failuref(ReasonBadResponse, nil, "%s answered content type %q, want application/json", path, resp.ContentType)
}

// decodeObject decodes a JSON object into v, with messages that say what
// shape was found instead.
func decodeObject(body []byte, v any) error {
	switch kind := jsonKind(body); kind {
	case "object":
	case "":
		return failuref(ReasonBadResponse, nil, "answer is not valid JSON")
	default:
		return failuref(ReasonBadResponse, nil, "expected a JSON object, got %s", kind)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return failuref(ReasonBadResponse, err, "unexpected JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// jsonKind names the top-level JSON value in body, "" when it is not valid JSON.
func jsonKind(body []byte) string {
	if !json.Valid(body) {
		return ""
	}
	switch bytes.TrimLeft(body, " \t\r\n")[0] {
	case '{':
		return "object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}
