package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/prober"
	"github.com/dhis2-chap/chap_exporter/report"
)

// reports are two targets' results: a labelled DHIS2 target with a warning
// and an OCS target that failed.
func reports() []*prober.Report {
	return []*prober.Report{
		{Target: "prod", Label: "Sierra Leone", Kind: "dhis2", Checks: []prober.Result{
			{Check: "dhis2_ping", Status: prober.StatusOK, Duration: 12345678 * time.Nanosecond},
			{Check: "dhis2_system_info", Status: prober.StatusWarn, Reason: prober.ReasonNoVersion, Version: "2.40.0", Message: "line one\nline two"},
		}},
		{Target: "nepal", Label: "nepal", Kind: "ocs", Checks: []prober.Result{
			{Check: "ocs_health", Status: prober.StatusFail, Reason: prober.ReasonConnection, Duration: 2 * time.Second, Version: "0.1.0", Message: "refused"},
			{Check: "ocs_info", Status: prober.StatusSkipped, Reason: prober.ReasonRequirementUnmet},
		}},
	}
}

// TestWriteTable: a line per check, columns two spaces apart, the label
// beside a target name it differs from, the reason beside the status, "-"
// for no version and a message on one line.
func TestWriteTable(t *testing.T) {
	row := func(cells ...any) string { return fmt.Sprintf("%-21s%-19s%-23s%-10s%-9s%s\n", cells...) }
	want := row("TARGET", "CHECK", "STATUS", "DURATION", "VERSION", "MESSAGE") +
		row("prod (Sierra Leone)", "dhis2_ping", "ok", "12ms", "-", "") +
		row("prod (Sierra Leone)", "dhis2_system_info", "warn (no_version)", "0s", "2.40.0", "line one line two") +
		row("nepal", "ocs_health", "fail (connection)", "2s", "0.1.0", "refused") +
		row("nepal", "ocs_info", "skipped (requirement)", "0s", "-", "")
	var plain bytes.Buffer
	if err := report.WriteTable(&plain, reports(), false); err != nil {
		t.Fatal(err)
	}
	if plain.String() != want {
		t.Errorf("table\n%s\nwant\n%s", plain.String(), want)
	}

	var coloured bytes.Buffer
	if err := report.WriteTable(&coloured, reports(), true); err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{"\x1b[32mok\x1b[0m", "\x1b[33mwarn (no_version)\x1b[0m", "\x1b[31mfail (connection)\x1b[0m", "\x1b[90mskipped (requirement)\x1b[0m"} {
		if !strings.Contains(coloured.String(), status) {
			t.Errorf("coloured table lacks %q:\n%s", status, coloured.String())
		}
	}
	// The colour codes take no room on a terminal: without them, the columns
	// line up as in the plain table, header included.
	if got := ansiRE.ReplaceAllString(coloured.String(), ""); got != want {
		t.Errorf("coloured table without its colour codes\n%s\nwant\n%s", got, want)
	}
}

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestWriteJSON: one document whose status is the worst target's, with a
// health document per target in the order given.
func TestWriteJSON(t *testing.T) {
	var out bytes.Buffer
	if err := report.WriteJSON(&out, reports()); err != nil {
		t.Fatal(err)
	}
	var doc report.Document
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if doc.Status != report.StateUnhealthy || len(doc.Targets) != 2 {
		t.Fatalf("document = %+v", doc)
	}
	prod, nepal := doc.Targets[0], doc.Targets[1]
	if prod.Target != "prod" || prod.Status != report.StateDegraded || prod.Checks["dhis2_system_info"].Reason != prober.ReasonNoVersion ||
		strings.Join(prod.Order, ",") != "dhis2_ping,dhis2_system_info" {
		t.Errorf("prod = %+v", prod)
	}
	if nepal.Target != "nepal" || nepal.Kind != "ocs" || nepal.Status != report.StateUnhealthy || nepal.Checks["ocs_info"].State != report.StateSkipped {
		t.Errorf("nepal = %+v", nepal)
	}
}

// TestAllOK: only ok and unsupported pass; a warning does not.
func TestAllOK(t *testing.T) {
	result := func(s prober.Status, r prober.Reason) []*prober.Report {
		return []*prober.Report{{Target: "a", Checks: []prober.Result{{Check: "http_2xx", Status: prober.StatusOK}, {Check: "c", Status: s, Reason: r}}}}
	}
	tests := []struct {
		status prober.Status
		reason prober.Reason
		ok     bool
	}{
		{prober.StatusOK, "", true},
		{prober.StatusSkipped, prober.ReasonUnsupported, true},
		{prober.StatusWarn, prober.ReasonNoVersion, false},
		{prober.StatusSkipped, prober.ReasonRequirementUnmet, false},
		{prober.StatusFail, prober.ReasonTimeout, false},
		{prober.StatusError, prober.ReasonPanic, false},
	}
	for _, tt := range tests {
		if got := report.AllOK(result(tt.status, tt.reason)); got != tt.ok {
			t.Errorf("AllOK with a check %s (%s) = %v, want %v", tt.status, tt.reason, got, tt.ok)
		}
	}
	if !report.AllOK(nil) {
		t.Error("AllOK of no reports = false, want true")
	}
}
