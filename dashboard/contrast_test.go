package dashboard

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// palette reads the --name:#rrggbb custom properties of a CSS block.
func palette(css string) map[string]string {
	p := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):(#[0-9a-f]{3,6})`).FindAllStringSubmatch(css, -1) {
		p[m[1]] = m[2]
	}
	return p
}

// luminance is WCAG 2's relative luminance of #rgb or #rrggbb.
func luminance(hex string) float64 {
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	var l float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += weight * c
	}
	return l
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// TestContrastIsAA checks WCAG AA in the light and dark palettes: 4.5:1 for
// text on the backgrounds it is drawn on, 3:1 for the bars.
func TestContrastIsAA(t *testing.T) {
	light := palette(styleCSS[:strings.Index(styleCSS, "}")])
	dark := palette(darkCSS)
	dhis2 := palette(styleCSS[strings.Index(styleCSS, ":root[data-theme=dhis2]"):])
	if len(light) < 20 || len(dark) < 20 || len(dhis2) < 3 {
		t.Fatalf("palettes not found: %d light, %d dark, %d dhis2 colours", len(light), len(dark), len(dhis2))
	}
	withDHIS2 := map[string]string{}
	for k, v := range light {
		withDHIS2[k] = v
	}
	for k, v := range dhis2 {
		withDHIS2[k] = v
	}
	text := [][2]string{
		{"text", "surface"}, {"text", "bg"}, {"muted", "surface"}, {"muted", "bg"}, {"link", "surface"}, {"link", "bg"},
		{"down", "surface"}, {"degraded", "surface"}, {"up", "surface"},
		{"down", "down-bg"}, {"degraded", "degraded-bg"}, {"up", "up-bg"}, {"unknown", "unknown-bg"}, {"head-text", "head-bg"},
	}
	graphics := [][2]string{{"bar-ok", "surface"}, {"bar-warn", "surface"}, {"bar-fail", "surface"}, {"bar-error", "surface"}, {"bar-skipped", "surface"}}
	for name, p := range map[string]map[string]string{"light": light, "dark": dark, "dhis2": withDHIS2} {
		for _, pairs := range []struct {
			pairs [][2]string
			min   float64
		}{{text, 4.5}, {graphics, 3}} {
			for _, pair := range pairs.pairs {
				fg, bg := p[pair[0]], p[pair[1]]
				if fg == "" || bg == "" {
					t.Errorf("%s: --%s or --%s missing", name, pair[0], pair[1])
					continue
				}
				if c := contrast(fg, bg); c < pairs.min {
					t.Errorf("%s: --%s on --%s is %.2f:1, want at least %.1f:1", name, pair[0], pair[1], c, pairs.min)
				}
			}
		}
	}
}
