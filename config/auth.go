package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	commoncfg "github.com/prometheus/common/config"
)

// AuthMode says how the exporter authenticates to DHIS2.
type AuthMode int

// Authentication modes.
const (
	AuthNone  AuthMode = iota // no credentials: only http_2xx can pass
	AuthBasic                 // username and password
	AuthToken                 // personal access token ("ApiToken d2pat_...")
)

// Auth holds one way of authenticating to DHIS2. Secrets come from an
// environment variable or a file (or, discouraged, inline) and are resolved
// at load so a reload picks up rotated values.
type Auth struct {
	Username     string           `yaml:"username,omitempty"`
	Password     commoncfg.Secret `yaml:"password,omitempty"`
	PasswordEnv  string           `yaml:"password_env,omitempty"`
	PasswordFile string           `yaml:"password_file,omitempty"`
	Token        commoncfg.Secret `yaml:"token,omitempty"`
	TokenEnv     string           `yaml:"token_env,omitempty"`
	TokenFile    string           `yaml:"token_file,omitempty"`

	mode       AuthMode
	credential commoncfg.Secret
}

// Mode returns the authentication mode chosen by the config.
func (a *Auth) Mode() AuthMode { return a.mode }

// given reports whether any credential key is set, before resolving.
func (a *Auth) given() bool {
	return a.Username != "" || a.Password != "" || a.PasswordEnv != "" || a.PasswordFile != "" ||
		a.Token != "" || a.TokenEnv != "" || a.TokenFile != ""
}

// Credential returns the resolved password or token.
func (a *Auth) Credential() commoncfg.Secret { return a.credential }

// envNameRE is what a portable environment variable name looks like.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidEnvName reports whether name may be given as a *_env key's value.
func ValidEnvName(name string) bool { return envNameRE.MatchString(name) }

// conventionalEnvNameRE is how variable names are usually written; only
// such names are repeated in errors.
var conventionalEnvNameRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,63}$`)

// shownEnvName is a variable name as errors show it: as it is when it looks
// like one (PROD_TOKEN), else hidden, since a lower-case or long "name"
// such as d2pat_... is likely the token pasted in its place.
func shownEnvName(name string) string {
	if conventionalEnvNameRE.MatchString(name) {
		return name
	}
	return "<name hidden: it looks like a secret, not a variable name>"
}

// secretSource is one of the three ways to give a secret.
type secretSource struct {
	inline      commoncfg.Secret
	env, file   string
	inlineKey   string
	envKey      string
	fileKey     string
	description string
}

func (s secretSource) count() int {
	n := 0
	for _, set := range []bool{s.inline != "", s.env != "", s.file != ""} {
		if set {
			n++
		}
	}
	return n
}

// resolve reads the secret from wherever it was given; errors name the key
// and the variable or file, never the value.
func (s secretSource) resolve(target, dir string) (commoncfg.Secret, []string, error) {
	switch {
	case s.inline != "":
		return s.inline, []string{fmt.Sprintf("target %q: auth.%s is inline in the config file; prefer auth.%s or auth.%s", target, s.inlineKey, s.envKey, s.fileKey)}, nil
	case s.env != "":
		if !envNameRE.MatchString(s.env) {
			// Not echoed: a value that is no variable name is often the secret itself.
			return "", nil, keyErrorf("auth."+s.envKey, "is not an environment variable name (letters, digits and _); give the variable's name, not its value")
		}
		v, ok := os.LookupEnv(s.env)
		if !ok {
			return "", nil, keyErrorf("auth."+s.envKey, "environment variable %s is not set", shownEnvName(s.env))
		}
		if strings.TrimSpace(v) == "" {
			return "", nil, keyErrorf("auth."+s.envKey, "environment variable %s is empty", shownEnvName(s.env))
		}
		return commoncfg.Secret(strings.TrimSpace(v)), nil, nil
	default:
		path := commoncfg.JoinDir(dir, s.file)
		b, err := ReadFile(path, MaxSecretFileBytes)
		if err != nil {
			return "", nil, &keyError{key: "auth." + s.fileKey, msg: fmt.Sprintf("cannot read %s file %s: %s", s.description, path, WhyUnreadable(err)), err: err}
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", nil, keyErrorf("auth."+s.fileKey, "%s file %s is empty", s.description, path)
		}
		return commoncfg.Secret(v), nil, nil
	}
}

func (a *Auth) resolve(target, dir string) ([]string, error) {
	token := secretSource{inline: a.Token, env: a.TokenEnv, file: a.TokenFile,
		inlineKey: "token", envKey: "token_env", fileKey: "token_file", description: "token"}
	password := secretSource{inline: a.Password, env: a.PasswordEnv, file: a.PasswordFile,
		inlineKey: "password", envKey: "password_env", fileKey: "password_file", description: "password"}

	var chosen secretSource
	switch {
	case token.count() > 0 && (a.Username != "" || password.count() > 0):
		return nil, keyErrorf("auth", "choose one of token (token, token_env, token_file) or username with a password, not both")
	case token.count() > 1:
		return nil, keyErrorf("auth", "give the token once: token, token_env or token_file")
	case password.count() > 1:
		return nil, keyErrorf("auth", "give the password once: password, password_env or password_file")
	case token.count() == 1:
		a.mode, chosen = AuthToken, token
	case a.Username != "" && password.count() == 0:
		return nil, keyErrorf("auth", "username %q needs password_env, password_file or password", a.Username)
	case a.Username == "" && password.count() > 0:
		return nil, keyErrorf("auth", "a password needs a username")
	case a.Username != "":
		a.mode, chosen = AuthBasic, password
	default:
		a.mode = AuthNone
		return nil, nil
	}
	secret, warnings, err := chosen.resolve(target, dir)
	if err != nil {
		return nil, err
	}
	a.credential = secret
	return warnings, nil
}
