package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file is the only one that reads the wording of the YAML library's
// errors; see yamlProblems.

// yamlProblem is one problem the YAML library reported, in this package's words.
type yamlProblem struct {
	line int    // where the library put it, 0 when it did not say
	msg  string // reworded; a wrong type is named without the value, which may be a misplaced secret
	// unknownKey: the line holds a key that does not belong there, not a
	// value under a key.
	unknownKey bool
	// indentation: a syntax error that usually comes from indentation,
	// which the library often reports at another line than the one at fault.
	indentation bool
	// explicitTag is the tag (int, float, ...) of a value that has an explicit
	// tag it does not fit; the library gives no line, so the caller finds it.
	explicitTag string
}

// yamlProblems turns an error of go.yaml.in/yaml/v3 (Unmarshal, or Decode
// with KnownFields) into its problems, in the library's order: one for a
// syntax error, one for each message of a type error. It reads the messages'
// wording, written against go.yaml.in/yaml/v3 v3.0.6: the library may word
// them otherwise in another version, so TestYAMLModuleVersion fails when
// go.mod moves, and TestYAMLProblems shows, one message shape a row, what
// the new version says.
func yamlProblems(err error) []yamlProblem {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		p := yamlMessage(err.Error())
		p.indentation = syntaxIndentRE.MatchString(err.Error())
		return []yamlProblem{p}
	}
	problems := make([]yamlProblem, 0, len(te.Errors))
	for _, m := range te.Errors {
		problems = append(problems, yamlMessage(m))
	}
	return problems
}

var (
	// (?s): a quoted value in a message can span lines; it must still
	// match, or the raw message (value included) would be shown.
	yamlLineRE    = regexp.MustCompile(`(?s)^(?:yaml: )?line (\d+): (.*)$`)
	unknownKeyRE  = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	cannotParseRE = regexp.MustCompile(`(?s)^cannot unmarshal !!(\w+)(?: ` + "`" + `(.*)` + "`" + `)? into (\S+)$`)
	// An explicit tag the value does not fit ("url: !!int abc").
	badTagRE = regexp.MustCompile(`(?s)^cannot decode !!\w+ ` + "`" + `.*` + "`" + ` as a !!(\w+)$`)
	// syntaxIndentRE matches the syntax errors that usually come from indentation.
	syntaxIndentRE = regexp.MustCompile(`mapping values are not allowed|did not find expected|tab character|cannot start any token|block sequence entries are not allowed`)
)

// yamlMessage rewords one message: "line N: " comes off into the line, an
// unknown field names where the key goes, a type mismatch names the kinds
// without the value.
func yamlMessage(m string) yamlProblem {
	var p yamlProblem
	if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
		p.line, _ = strconv.Atoi(sm[1])
		m = sm[2]
	}
	if sm := unknownKeyRE.FindStringSubmatch(m); sm != nil {
		// The library names the type as reflect does ("config.Auth").
		p.unknownKey, p.msg = true, keys.unknownKey(sm[1], sm[2])
		return p
	}
	if sm := cannotParseRE.FindStringSubmatch(m); sm != nil {
		p.msg = fmt.Sprintf("wrong type: a %s where %s was expected", yamlKind(sm[1]), goKind(sm[3], sm[1]))
		return p
	}
	if sm := badTagRE.FindStringSubmatch(strings.TrimPrefix(m, "yaml: ")); sm != nil {
		p.explicitTag = sm[1]
		p.msg = fmt.Sprintf("a value tagged !!%s is not a %s: remove the tag or fix the value", sm[1], yamlKind(sm[1]))
		return p
	}
	p.msg = strings.TrimPrefix(m, "yaml: ")
	return p
}

// yamlKind names the library's short tag (!!str without the !!) for an operator.
func yamlKind(tag string) string {
	switch tag {
	case "str":
		return "string"
	case "seq":
		return "list"
	case "map":
		return "mapping"
	case "int", "float":
		return "number"
	}
	return tag
}

// goKind names the Go type the library wanted, as it prints it, for an
// operator; found is the library's tag of the value it got.
func goKind(t, found string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case t == "string":
		return "a string"
	case t == "config.plain":
		// prometheus/common decodes both Secret (a string) and TLSConfig (a
		// mapping) through a type named plain: only a secret refuses a mapping,
		// only TLS settings a string, and either refuses a list.
		switch found {
		case "map":
			return "a string"
		case "seq":
			return "a string or a mapping"
		}
		return "a mapping"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "float"):
		return "a number"
	}
	return "a mapping"
}
