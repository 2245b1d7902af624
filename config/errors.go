package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	commoncfg "github.com/prometheus/common/config"
	"go.yaml.in/yaml/v3"
)

// Error is a configuration problem located as precisely as the file allows:
// "chap.yml:7: target "prod": auth.token_env: environment variable X is not set".
type Error struct {
	File   string
	Line   int    // 0 when unknown
	Target string // "" when the problem is not inside one target
	Key    string // dotted key inside the target, "" when not known
	Msg    string
	// Err is the underlying cause, for errors.Is/As only: Error never prints
	// it, since a library's message may quote a value that is a secret.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Target != "" {
		fmt.Fprintf(&b, "target %q: ", e.Target)
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// locator finds the line of a key in the parsed YAML tree.
type locator struct {
	file string
	root *yaml.Node
}

func (l locator) errorf(target, key, format string, args ...any) *Error {
	return &Error{File: l.file, Line: l.line(target, key), Target: target, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// wrap turns a validation error from inside a target into a located *Error.
func (l locator) wrap(target string, err error) *Error {
	var ke *keyError
	if errors.As(err, &ke) {
		return &Error{File: l.file, Line: l.line(target, ke.key), Target: target, Key: ke.key, Msg: ke.msg, Err: ke.err}
	}
	return &Error{File: l.file, Line: l.line(target, ""), Target: target, Msg: err.Error(), Err: err}
}

// wrapSection turns a validation error from a top-level section other than
// targets (such as ui) into a located *Error whose key names the section.
func (l locator) wrapSection(section string, err error) *Error {
	var ke *keyError
	if errors.As(err, &ke) {
		return &Error{File: l.file, Line: l.lineOf(ke.key, section), Key: section + "." + ke.key, Msg: ke.msg, Err: ke.err}
	}
	return &Error{File: l.file, Line: l.lineOf("", section), Key: section, Msg: err.Error(), Err: err}
}

// line returns the line of targets.<target>.<key...>, or of the deepest part
// of that path that exists.
func (l locator) line(target, key string) int {
	if target == "" {
		return l.lineOf(key, "targets")
	}
	return l.lineOf(key, "targets", target) // a target name may hold dots: it is one step
}

// lineOf returns the line of <prefix...>.<key...>, or of the deepest part
// of that path that exists.
func (l locator) lineOf(key string, prefix ...string) int {
	path := prefix
	if key != "" {
		// custom_checks[1].path → custom_checks, 1, path
		key = strings.NewReplacer("[", ".", "]", "").Replace(key)
		path = append(path, strings.Split(key, ".")...)
	}
	node := document(l.root)
	line := 0
	for _, part := range path {
		k, v := lookup(node, part)
		if k == nil {
			break
		}
		line, node = k.Line, v
	}
	return line
}

// targetAt returns the name of the target whose block contains line.
func (l locator) targetAt(line int) string {
	root := document(l.root)
	_, targets := lookup(root, "targets")
	if targets == nil || targets.Kind != yaml.MappingNode || line >= nextKeyLine(root, "targets") {
		return ""
	}
	name := ""
	for i := 0; i+1 < len(targets.Content); i += 2 {
		if targets.Content[i].Line > line {
			break
		}
		name = targets.Content[i].Value
	}
	return name
}

// nextKeyLine is the line of the key that follows key in mapping m, or a
// line past any file when key is last.
func nextKeyLine(m *yaml.Node, key string) int {
	for i := 0; i+2 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+2].Line
		}
	}
	return int(^uint(0) >> 1)
}

func document(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	return n
}

// lookup returns the key and value nodes of key in a mapping node, or the
// item at index key (twice) in a sequence node.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m != nil && m.Kind == yaml.SequenceNode {
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(m.Content) {
			return m.Content[i], m.Content[i]
		}
		return nil, nil
	}
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// yamlError turns the YAML library's error into a located one-line error;
// a type error with several problems keeps them all, joined by "; ".
// content is the file, for finding the line at fault of a syntax error.
func yamlError(file string, content []byte, root *yaml.Node, err error) *Error {
	if line, key, msg, ok := valueProblem(root, err); ok {
		e := &Error{File: file, Line: line, Key: key, Msg: msg, Err: errors.New(msg)}
		if line > 0 {
			e.Target, e.Key = locator{file: file, root: root}.keyAt(line)
		}
		return e
	}
	problems := yamlProblems(err)
	if len(problems) == 1 && problems[0].indentation {
		if line, target, msg := indentProblem(content); line > 0 {
			return &Error{File: file, Line: line, Target: target, Msg: msg, Err: err}
		}
	}
	first := &Error{File: file, Err: err}
	if problems[0].explicitTag != "" {
		// The library's message quotes the value, which may be a secret: keep
		// only the reworded message, at the tagged value's line.
		problems[0].line = explicitTagLine(root, problems[0].explicitTag)
		first.Err = errors.New(problems[0].msg)
	}
	var parts []string
	for i, p := range problems {
		m := p.msg
		if i == 0 {
			m = locator{file: file, root: root}.placeFirst(first, p)
		} else if p.line > 0 {
			m = fmt.Sprintf("line %d: %s", p.line, m)
		}
		parts = append(parts, m)
	}
	first.Msg = strings.Join(parts, "; ")
	return first
}

// explicitTagLine is the line of the first value carrying the explicit tag
// !!tag, 0 when there is none.
func explicitTagLine(n *yaml.Node, tag string) int {
	if n == nil {
		return 0
	}
	if n.Style&yaml.TaggedStyle != 0 && n.Tag == "!!"+tag {
		return n.Line
	}
	for _, c := range n.Content {
		if line := explicitTagLine(c, tag); line > 0 {
			return line
		}
	}
	return 0
}

// placeFirst sets the line, target and key of e from the first problem the
// YAML library reported, and returns its message; a key indented like a
// target name gets a message saying where it goes.
func (l locator) placeFirst(e *Error, p yamlProblem) string {
	e.Line = p.line
	if l.root == nil || p.line == 0 {
		return p.msg
	}
	e.Target, e.Key = l.keyAt(p.line)
	if p.unknownKey {
		e.Key = ""
	} else if e.Key == "" && keys.places[e.Target] != nil {
		target := e.Target
		e.Target = ""
		return fmt.Sprintf("%q is indented like a target name; it goes %s", target, strings.Join(keys.places[target], " or "))
	}
	return p.msg
}

// keyAt returns the target and the dotted key (custom_checks[1].path) of
// the key on line, as far as the tree tells.
func (l locator) keyAt(line int) (target, key string) {
	path := keyPath(document(l.root), line)
	if len(path) < 2 || path[0] != "targets" {
		return l.targetAt(line), ""
	}
	var b strings.Builder
	for _, part := range path[2:] {
		if _, err := strconv.Atoi(part); err == nil {
			b.WriteString("[" + part + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteString(".")
		}
		b.WriteString(part)
	}
	return path[1], b.String()
}

// keyPath is the path of mapping keys and sequence indexes down to the
// deepest key written on line, nil when there is none.
func keyPath(n *yaml.Node, line int) []string {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if sub := keyPath(v, line); sub != nil {
				return append([]string{k.Value}, sub...)
			}
			if k.Line == line || v.Line == line {
				return []string{k.Value}
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			if sub := keyPath(item, line); sub != nil {
				return append([]string{strconv.Itoa(i)}, sub...)
			}
		}
	}
	return nil
}

// valueProblem rewords the error of a value that a prometheus/common type
// refused while decoding (proxy_url, min_version, max_version), which has
// no line and quotes the value, which may hold a password. It locates the
// value when it can (line > 0), else names the key.
func valueProblem(root *yaml.Node, err error) (line int, key, msg string, ok bool) {
	var ue *url.Error
	switch {
	case errors.As(err, &ue):
		line = badValueLine(root, []string{"proxy_url"}, func(v string) bool { _, err := url.Parse(v); return err != nil })
		return line, "proxy_url", "is not a valid URL", true
	case strings.HasPrefix(err.Error(), "unknown TLS version: "):
		line = badValueLine(root, []string{"min_version", "max_version"}, func(v string) bool { _, ok := commoncfg.TLSVersions[v]; return !ok })
		return line, "tls_config.min_version or max_version", "unknown TLS version (want one of TLS10, TLS11, TLS12, TLS13)", true
	}
	return 0, "", "", false
}

// badValueLine is the line of the first scalar under one of keys that bad
// refuses, 0 when there is none.
func badValueLine(n *yaml.Node, keys []string, bad func(string) bool) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode && slices.Contains(keys, k.Value) && bad(v.Value) {
				return k.Line
			}
		}
	}
	for _, c := range n.Content {
		if line := badValueLine(c, keys, bad); line > 0 {
			return line
		}
	}
	return 0
}
