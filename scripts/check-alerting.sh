#!/usr/bin/env bash
# Validates the alerting bundle and the Prometheus example with the real tools:
#   - promtool check rules / test rules      alerting/rules.yml, alerting/rules_test.yml
#   - amtool check-config                     alerting/alertmanager.yml (+ templates)
#   - amtool template render                  Slack title/text for a firing and a resolved alert
#   - amtool config routes test               the notify opt-in routing, exact receivers
#   - promtool check config                   examples/prometheus/prometheus.yml
#   - every runbook_url anchor of the rules has its section in docs/runbooks.md
# Run from anywhere; exits non-zero on the first failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

step() { printf '\n==> %s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

"$repo/scripts/ensure-tools.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step "promtool check rules alerting/rules.yml"
promtool check rules alerting/rules.yml

step "promtool test rules alerting/rules_test.yml"
promtool test rules alerting/rules_test.yml

# The config names secret files under /etc that do not exist on a development machine.
# amtool check-config does not open *_file paths (it passes with the files absent), and
# Alertmanager only reads them when sending. To check the config as it would run, check
# a copy whose secret paths point at test files that exist. For Alertmanager 0.25, which
# has no webhook url_file, the copy gets the change alertmanager.yml documents: the
# url_file line becomes an inline url.
amtool_version=$(amtool --version 2>&1 | sed -n 's/^amtool, version \([0-9][0-9]*\)\.\([0-9][0-9]*\)\..*/\1 \2/p')
read -r am_major am_minor <<<"${amtool_version:-0 0}"
printf 'amtool: %s\npromtool: %s\n' "$(amtool --version 2>&1 | head -1)" "$(promtool --version 2>&1 | head -1)"
step "amtool check-config alerting/alertmanager.yml (copy with test secret files)"
slack_secret=/etc/prometheus/secrets/slack_api_url
webhook_secret=/etc/prometheus/secrets/webhook_url
grep -q "api_url_file: $slack_secret\$" alerting/alertmanager.yml ||
	fail "alerting/alertmanager.yml no longer uses api_url_file: $slack_secret; update this script"
grep -q " url_file: $webhook_secret\$" alerting/alertmanager.yml ||
	fail "alerting/alertmanager.yml no longer uses url_file: $webhook_secret; update this script"
if grep -Eq '^[[:space:]]*-?[[:space:]]*(api_url|slack_api_url|url):' alerting/alertmanager.yml; then
	fail "alerting/alertmanager.yml has an inline Slack or webhook URL; use api_url_file / url_file"
fi
mkdir "$tmp/am"
cp -r alerting/templates "$tmp/am/"
printf 'http://127.0.0.1:9/slack-test\n' >"$tmp/am/slack_api_url"
printf 'http://127.0.0.1:9/webhook-test\n' >"$tmp/am/webhook_url"
if [ "$am_major" -eq 0 ] && [ "$am_minor" -lt 26 ]; then
	webhook_line="s#url_file: $webhook_secret#url: http://127.0.0.1:9099/chap-alerts#"
else
	webhook_line="s#url_file: $webhook_secret#url_file: $tmp/am/webhook_url#"
fi
sed -e "s#$slack_secret#$tmp/am/slack_api_url#" -e "$webhook_line" alerting/alertmanager.yml >"$tmp/am/alertmanager.yml"
amconfig="$tmp/am/alertmanager.yml"
amtool check-config "$amconfig"

step "amtool template render: Slack title and text, firing and resolved"
# render STATUS TEMPLATE EXPECTED...: renders one template with alerting/testdata and
# fails unless every EXPECTED string is in the output.
render() {
	local status=$1 name=$2 out want
	shift 2
	out=$(amtool template render --template.glob="$tmp/am/templates/*.tmpl" \
		--template.data="alerting/testdata/notification-$status.json" \
		--template.text="{{ template \"$name\" . }}")
	printf '%s (%s):\n%s\n' "$name" "$status" "$out"
	for want in "$@"; do
		[[ "$out" == *"$want"* ]] || fail "$name ($status): output lacks '$want'"
	done
}
render firing chap.slack.color danger
render firing chap.slack.title "[FIRING] ChapCoreDown: demo / dhis2_chap_ping"
render firing chap.slack.text "*FIRING*" "\`demo\`" "\`dhis2_chap_ping\`" "\`upstream_down\`" "docs/runbooks.md#chapcoredown" "https://chap-exporter.example.org/probe?target=demo&debug=true"
render resolved chap.slack.color good
# a warn-level alert (severity info) is yellow while firing
sed 's/"severity": "critical"/"severity": "info"/g' alerting/testdata/notification-firing.json >"$tmp/notification-warn.json"
out=$(amtool template render --template.glob="$tmp/am/templates/*.tmpl" --template.data="$tmp/notification-warn.json" \
	--template.text='{{ template "chap.slack.color" . }}')
printf 'chap.slack.color (warn-level, firing): %s\n' "$out"
[[ "$out" == warning ]] || fail "chap.slack.color for a severity=info alert is '$out', want 'warning'"
render resolved chap.slack.title "[RESOLVED] ChapCoreDown: demo / dhis2_chap_ping"
render resolved chap.slack.text "*RESOLVED*" "\`demo\`" "\`dhis2_chap_ping\`" "\`upstream_down\`" "*Resolved:* 2026-11-20 10:30:00 UTC"

step "amtool config routes test: notify label -> receivers"
# route NOTIFY EXPECTED [SEVERITY]: an alert with notify=NOTIFY ("-" = no notify label)
# must reach exactly the receivers EXPECTED (comma-separated, in route order).
route() {
	local notify=$1 want=$2 severity=${3:-critical} got
	local labels=(alertname=ChapCoreDown instance=demo check=dhis2_chap_ping "severity=$severity")
	# Quoted: amtool 0.26 and later parse matchers strictly, and an unquoted value with
	# a comma is a parse warning printed on stdout.
	[[ "$notify" == "-" ]] || labels+=("notify=\"$notify\"")
	got=$(amtool config routes test --config.file="$amconfig" "${labels[@]}" 2>/dev/null) || true
	printf '  notify=%-18s severity=%-8s -> %-14s (want %s)\n' "'$notify'" "$severity" "$got" "$want"
	[[ "$got" == "$want" ]] || fail "notify=$notify routed to '$got', want '$want'"
}
route slack slack
route webhook webhook
route slack,webhook slack,webhook
route "webhook, slack" slack,webhook
route - null
route "" null
route slackbot null
route "slack-webhook" null
# warn-level alerts (ChapCheckWarning) are not sent unless a receiver opts in
route slack,webhook null info
route slack null info
route slack,webhook slack,webhook warning

step "every runbook_url of rules.yml has its section in docs/runbooks.md"
for anchor in $(grep -o "}}#[a-z0-9]*'" alerting/rules.yml | sort -u | tr -d "}#'"); do
	grep -qi "^## ${anchor}\$" docs/runbooks.md || fail "docs/runbooks.md has no '## ' section for #$anchor"
	printf '  %s\n' "$anchor"
done

# The example names its rules by their installed path, so check it installed: the same
# layout under a temporary root, paths rewritten to it.
step "promtool check config examples/prometheus/prometheus.yml (installed as /etc/prometheus/)"
root="$tmp/root"
install -D -m 0644 alerting/rules.yml "$root/etc/prometheus/rules/chap.yml"
sed "s#/etc/prometheus/#$root/etc/prometheus/#g" examples/prometheus/prometheus.yml >"$tmp/prometheus.yml"
install -D -m 0644 "$tmp/prometheus.yml" "$root/etc/prometheus/prometheus.yml"
promtool check config "$root/etc/prometheus/prometheus.yml"

printf '\ncheck-alerting: all checks passed\n'
