package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Defaults of the ui: section.
const (
	DefaultUITitle           = "chap_exporter"
	DefaultUITheme           = ThemeAuto
	DefaultUIRefreshInterval = 30 * time.Second
	// MinUIRefreshInterval keeps a forgotten wall screen from hammering the exporter.
	MinUIRefreshInterval = 5 * time.Second
	maxUITitle           = 120
)

// Theme is a colour scheme of the status page.
type Theme string

// The themes: auto follows the browser's prefers-color-scheme.
const (
	ThemeAuto  Theme = "auto"
	ThemeLight Theme = "light"
	ThemeDark  Theme = "dark"
	ThemeDHIS2 Theme = "dhis2" // light, with DHIS2's blue header
)

// Themes lists every theme in a stable order.
var Themes = []Theme{ThemeAuto, ThemeLight, ThemeDark, ThemeDHIS2}

// Valid reports whether t is a known theme.
func (t Theme) Valid() bool { return slices.Contains(Themes, t) }

// UI configures the status page (the board at /, the target pages and the badges).
type UI struct {
	// Title heads every page, like the old tool's [ui].title.
	Title string `yaml:"title,omitempty"`
	// GroupBy is a target label whose values group the board, e.g. env.
	GroupBy string `yaml:"group_by,omitempty"`
	// Theme is auto (light or dark from the browser), light, dark or dhis2.
	Theme Theme `yaml:"theme,omitempty"`
	// RefreshInterval is how often an open page reloads its content; 0 turns it off.
	RefreshInterval *Duration `yaml:"refresh_interval,omitempty"`
}

// Refresh is the page refresh interval with the default applied; 0 means never.
func (u *UI) Refresh() time.Duration {
	if u.RefreshInterval == nil {
		return DefaultUIRefreshInterval
	}
	return time.Duration(*u.RefreshInterval)
}

// ValidUITitle says what is wrong with title as ui.title, nil when nothing is.
func ValidUITitle(title string) error { return validLabel(title, maxUITitle) }

// ValidDisplayName says what is wrong with name as a target's display_name,
// nil when nothing is.
func ValidDisplayName(name string) error { return validLabel(name, MaxDisplayName) }

// validLabel checks text every page, table and debug header shows: at most
// limit bytes, printable, on one line.
func validLabel(text string, limit int) error {
	switch {
	case len(text) > limit:
		return fmt.Errorf("is longer than %d bytes", limit)
	case strings.IndexFunc(text, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return errors.New("must be printable text on one line")
	}
	return nil
}

// validate applies defaults and returns the first problem with its key.
func (u *UI) validate() error {
	if u.Title == "" {
		u.Title = DefaultUITitle
	}
	if err := ValidUITitle(u.Title); err != nil {
		return &keyError{key: "title", msg: err.Error(), err: err}
	}
	switch {
	case u.GroupBy != "" && !labelNameRE.MatchString(u.GroupBy):
		return keyErrorf("group_by", "%q is not a label name (want %s)", u.GroupBy, labelNameRE)
	}
	if u.Theme == "" {
		u.Theme = DefaultUITheme
	} else if !u.Theme.Valid() {
		return keyErrorf("theme", "unknown theme %q (want one of %s)", u.Theme, nameList(Themes))
	}
	if r := u.Refresh(); r != 0 && r < MinUIRefreshInterval {
		return keyErrorf("refresh_interval", "must be 0 (off) or at least %s", MinUIRefreshInterval)
	}
	return nil
}
