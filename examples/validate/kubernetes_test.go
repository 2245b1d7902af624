package validate

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const (
	manifestDir = "../kubernetes"
	rulesFile   = "../../alerting/rules.yml"
	// releaseLabel is what kube-prometheus-stack's default selectors look for.
	releaseLabel = "release"
)

// kinds maps each apiVersion and kind the examples use to its real API type.
var kinds = map[string]func() any{
	"v1 ConfigMap":       func() any { return &corev1.ConfigMap{} },
	"v1 Secret":          func() any { return &corev1.Secret{} },
	"v1 Service":         func() any { return &corev1.Service{} },
	"apps/v1 Deployment": func() any { return &appsv1.Deployment{} },
	"monitoring.coreos.com/v1 ServiceMonitor":     func() any { return &monitoringv1.ServiceMonitor{} },
	"monitoring.coreos.com/v1 Probe":              func() any { return &monitoringv1.Probe{} },
	"monitoring.coreos.com/v1 PrometheusRule":     func() any { return &monitoringv1.PrometheusRule{} },
	"monitoring.coreos.com/v1alpha1 ScrapeConfig": func() any { return &monitoringv1alpha1.ScrapeConfig{} },
}

// loadManifests decodes every manifest under examples/kubernetes strictly (unknown or
// misspelt fields are errors) into the real API type of its kind; there must be one
// of each kind.
func loadManifests(t *testing.T) []any {
	t.Helper()
	var files []string
	err := filepath.WalkDir(manifestDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".yaml") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var objs []any
	count := map[string]int{}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(data, &tm); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		kind := tm.APIVersion + " " + tm.Kind
		newObj, ok := kinds[kind]
		if !ok {
			t.Errorf("%s: unexpected apiVersion %q kind %q", path, tm.APIVersion, tm.Kind)
			continue
		}
		obj := newObj()
		if err := strictDecode(data, obj); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		objs = append(objs, obj)
		count[kind]++
	}
	for kind := range kinds {
		if count[kind] != 1 {
			t.Errorf("%d manifests of %s, want 1", count[kind], kind)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return objs
}

// only returns the one manifest of type T.
func only[T any](objs []any) T {
	for _, o := range objs {
		if v, ok := o.(T); ok {
			return v
		}
	}
	panic(fmt.Sprintf("no %T among the manifests", *new(T)))
}

// strictDecode decodes a YAML manifest the way the API server's strict field
// validation does: unknown fields, fields in the wrong case and duplicate fields are
// errors.
func strictDecode(data []byte, obj any) error {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return err
	}
	strictErrs, err := kjson.UnmarshalStrict(js, obj)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}

func TestStrictDecodeRejectsUnknownFields(t *testing.T) {
	for _, field := range []string{"jobname", "jobNme"} {
		bad := []byte("apiVersion: monitoring.coreos.com/v1\nkind: Probe\nmetadata: {name: x}\nspec:\n  " + field + ": chap_probe\n")
		if err := strictDecode(bad, &monitoringv1.Probe{}); err == nil {
			t.Errorf("a misspelt field (%s) decoded without error; the manifest test would prove nothing", field)
		}
	}
	good := []byte("apiVersion: monitoring.coreos.com/v1\nkind: Probe\nmetadata: {name: x}\nspec:\n  jobName: chap_probe\n")
	if err := strictDecode(good, &monitoringv1.Probe{}); err != nil {
		t.Errorf("a correct Probe: %v", err)
	}
}

func TestDeployment(t *testing.T) {
	m := loadManifests(t)
	d := only[*appsv1.Deployment](m)
	pod := d.Spec.Template.Spec
	if !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Errorf("Deployment selector %v does not select its pods %v", d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
	}
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v: want runAsNonRoot and a non-zero runAsUser", psc)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("container: want readOnlyRootFilesystem: true")
	}
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("container: want allowPrivilegeEscalation: false")
	}
	if sc == nil || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Error("container: want capabilities drop [ALL]")
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"livenessProbe", c.LivenessProbe, "/-/healthy"}, {"readinessProbe", c.ReadinessProbe, "/-/ready"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			t.Errorf("%s: want httpGet %s on port http", p.name, p.path)
		}
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 9977 {
		t.Errorf("ports %+v, want http 9977", c.Ports)
	}
	// The config file the args name is the ConfigMap's key, mounted read-only.
	if !slices.Contains(c.Args, "--config.file=/etc/chap_exporter/chap.yml") {
		t.Errorf("args %v lack --config.file=/etc/chap_exporter/chap.yml", c.Args)
	}
	cm := only[*corev1.ConfigMap](m)
	if _, ok := cm.Data["chap.yml"]; !ok {
		t.Errorf("ConfigMap %s has no chap.yml", cm.Name)
	}
	mounted := false
	for _, vm := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == cm.Name && vm.MountPath == "/etc/chap_exporter" && vm.ReadOnly {
				mounted = true
			}
		}
	}
	if !mounted {
		t.Errorf("ConfigMap %s is not mounted read-only at /etc/chap_exporter", cm.Name)
	}
	// Every token_env of chap.yml comes from the Secret.
	secret := only[*corev1.Secret](m)
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != secret.Name {
		t.Errorf("envFrom %+v, want the Secret %s", c.EnvFrom, secret.Name)
	}
	for _, target := range chapTargets(t, cm) {
		if _, ok := secret.StringData[target.Auth.TokenEnv]; !ok {
			t.Errorf("target's token_env %s is not a key of Secret %s", target.Auth.TokenEnv, secret.Name)
		}
	}
}

// chapTarget is the part of a chap.yml target this test looks at.
type chapTarget struct {
	Auth struct {
		TokenEnv string `json:"token_env"`
	} `json:"auth"`
}

func chapTargets(t *testing.T, cm *corev1.ConfigMap) map[string]chapTarget {
	t.Helper()
	var cfg struct {
		Targets map[string]chapTarget `json:"targets"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data["chap.yml"]), &cfg); err != nil {
		t.Fatalf("ConfigMap chap.yml: %v", err)
	}
	if len(cfg.Targets) == 0 {
		t.Fatal("ConfigMap chap.yml has no targets")
	}
	return cfg.Targets
}

func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// ruleJobMatchers returns the job matcher of the recording rules alerting/rules.yml
// names chap's jobs with.
func ruleJobMatchers(t *testing.T) map[string]*labels.Matcher {
	t.Helper()
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var spec monitoringv1.PrometheusRuleSpec
	if err := strictDecode(data, &spec); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	out := map[string]*labels.Matcher{}
	for _, g := range spec.Groups {
		for _, r := range g.Rules {
			if r.Record != "chap_probe:up" && r.Record != "chap_exporter:up" {
				continue
			}
			expr, err := promql.ParseExpr(r.Expr.String())
			if err != nil {
				t.Fatalf("%s %s: %v", rulesFile, r.Record, err)
			}
			vs, ok := expr.(*parser.VectorSelector)
			if !ok || vs.Name != "up" {
				t.Fatalf("%s %s: %s is not a selector of up", rulesFile, r.Record, r.Expr.String())
			}
			for _, m := range vs.LabelMatchers {
				if m.Name == "job" {
					out[r.Record] = m
				}
			}
		}
	}
	if out["chap_probe:up"] == nil || out["chap_exporter:up"] == nil {
		t.Fatalf("%s: no job matchers for chap_probe:up and chap_exporter:up: %v", rulesFile, out)
	}
	return out
}

// TestJobsMatchTheRules checks that the jobs Prometheus gets from these manifests are
// the ones the rules select: the Probe's and the ScrapeConfig's jobName, and the
// ServiceMonitor's job (the Service's jobLabel value, or the Service name without it).
func TestJobsMatchTheRules(t *testing.T) {
	m := loadManifests(t)
	jobs := ruleJobMatchers(t)
	probeJob, exporterJob := jobs["chap_probe:up"], jobs["chap_exporter:up"]

	if j := only[*monitoringv1.Probe](m).Spec.JobName; !probeJob.Matches(j) {
		t.Errorf("Probe jobName %q is not matched by the rules' %s", j, probeJob)
	}
	if j := only[*monitoringv1alpha1.ScrapeConfig](m).Spec.JobName; j == nil || !probeJob.Matches(*j) {
		t.Errorf("ScrapeConfig jobName %v is not matched by the rules' %s", j, probeJob)
	}
	sm, svc := only[*monitoringv1.ServiceMonitor](m), only[*corev1.Service](m)
	if !selects(sm.Spec.Selector.MatchLabels, svc.Labels) {
		t.Fatalf("ServiceMonitor selector %v does not select Service %s %v", sm.Spec.Selector.MatchLabels, svc.Name, svc.Labels)
	}
	job := svc.Name
	if sm.Spec.JobLabel != "" {
		job = svc.Labels[sm.Spec.JobLabel]
	}
	if !exporterJob.Matches(job) {
		t.Errorf("ServiceMonitor job %q is not matched by the rules' %s", job, exporterJob)
	}
	// Without jobLabel, a ServiceMonitor's job is the Service name: the rules accept it too.
	if !exporterJob.Matches(svc.Name) {
		t.Errorf("the rules' %s does not match the Service name %q (the job without jobLabel)", exporterJob, svc.Name)
	}
}

func TestProbeTargetsAreTargetNames(t *testing.T) {
	m := loadManifests(t)
	p := only[*monitoringv1.Probe](m)
	targets := chapTargets(t, only[*corev1.ConfigMap](m))
	sc := p.Spec.Targets.StaticConfig
	if sc == nil || len(sc.Targets) == 0 {
		t.Fatal("Probe has no static targets")
	}
	for _, name := range sc.Targets {
		if _, ok := targets[name]; !ok {
			t.Errorf("Probe target %q is not a target of chap.yml (the exporter would answer 400)", name)
		}
	}
	svc := only[*corev1.Service](m)
	wantProber := fmt.Sprintf("%s.%s.svc:%d", svc.Name, svc.Namespace, svc.Spec.Ports[0].Port)
	if p.Spec.ProberSpec.URL != wantProber || p.Spec.ProberSpec.Path != "/probe" {
		t.Errorf("Probe prober %s%s, want %s/probe", p.Spec.ProberSpec.URL, p.Spec.ProberSpec.Path, wantProber)
	}
	scrape := only[*monitoringv1alpha1.ScrapeConfig](m)
	if len(scrape.Spec.HTTPSDConfigs) != 1 || string(scrape.Spec.HTTPSDConfigs[0].URL) != "http://"+wantProber+"/sd" {
		t.Errorf("ScrapeConfig http_sd %+v, want http://%s/sd", scrape.Spec.HTTPSDConfigs, wantProber)
	}
	if scrape.Spec.MetricsPath == nil || *scrape.Spec.MetricsPath != "/probe" {
		t.Errorf("ScrapeConfig metricsPath %v, want /probe", scrape.Spec.MetricsPath)
	}
}

// TestPrometheusRuleInStep checks that prometheusrule.yaml is what
// scripts/gen-prometheusrule.sh makes of alerting/rules.yml now, and that its rules
// decode to the same rules.
func TestPrometheusRuleInStep(t *testing.T) {
	m := loadManifests(t)
	want, err := exec.Command("../../scripts/gen-prometheusrule.sh").Output()
	if err != nil {
		t.Fatalf("gen-prometheusrule.sh: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(manifestDir, "prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("examples/kubernetes/prometheusrule.yaml is not generated from the current alerting/rules.yml: run make kubernetes-rules")
	}
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var spec monitoringv1.PrometheusRuleSpec
	if err := strictDecode(data, &spec); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(only[*monitoringv1.PrometheusRule](m).Spec, spec) {
		t.Error("the PrometheusRule's rules differ from alerting/rules.yml")
	}
}

// TestKubePrometheusStackSelectors: kube-prometheus-stack's default selectors pick up
// ServiceMonitors, Probes, ScrapeConfigs and PrometheusRules labelled with its release.
func TestKubePrometheusStackSelectors(t *testing.T) {
	m := loadManifests(t)
	objs := map[string]map[string]string{
		"ServiceMonitor": only[*monitoringv1.ServiceMonitor](m).Labels,
		"Probe":          only[*monitoringv1.Probe](m).Labels,
		"ScrapeConfig":   only[*monitoringv1alpha1.ScrapeConfig](m).Labels,
		"PrometheusRule": only[*monitoringv1.PrometheusRule](m).Labels,
	}
	kinds := make([]string, 0, len(objs))
	for k := range objs {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		if objs[kind][releaseLabel] == "" {
			t.Errorf("%s has no %s label", kind, releaseLabel)
		}
	}
}
