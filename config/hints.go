package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// keyIndex knows, for every key of the file, the places it is allowed and,
// for every place, its keys: built from the yaml tags, so a new key is
// covered without touching this file.
type keyIndex struct {
	places map[string][]string       // key → places it is allowed, e.g. "under auth"
	keys   map[reflect.Type][]string // struct → its keys
	place  map[reflect.Type]string   // struct → where its keys are
	byName map[string]reflect.Type   // "config.Auth" (as the YAML library names it, see yamlwording.go) → type
	seen   map[reflect.Type]bool
}

var keys = newKeyIndex()

func newKeyIndex() *keyIndex {
	ix := &keyIndex{
		places: map[string][]string{},
		keys:   map[reflect.Type][]string{},
		place:  map[reflect.Type]string{},
		byName: map[string]reflect.Type{},
		seen:   map[reflect.Type]bool{},
	}
	ix.walk(reflect.TypeOf(Config{}), "at the top level")
	return ix
}

// walk files the keys of struct t as allowed at place and descends into
// the structs they hold.
func (ix *keyIndex) walk(t reflect.Type, place string) {
	if ix.seen[t] {
		return
	}
	ix.seen[t] = true
	ix.place[t] = place
	ix.byName[t.String()] = t
	ix.fields(t, t, place)
}

func (ix *keyIndex) fields(owner, t reflect.Type, place string) {
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if strings.Contains(opts, "inline") {
			ix.fields(owner, f.Type, place)
			continue
		}
		if name == "" {
			continue
		}
		ix.keys[owner] = append(ix.keys[owner], name)
		ix.places[name] = append(ix.places[name], place)
		switch ft := f.Type; {
		case ft.Kind() == reflect.Map && yamlStruct(ft.Elem()):
			ix.walk(deref(ft.Elem()), "directly under a target's name")
		case ft.Kind() == reflect.Slice && yamlStruct(ft.Elem()):
			ix.walk(deref(ft.Elem()), "in a "+name+" entry")
		case yamlStruct(ft):
			ix.walk(deref(ft), "under "+name)
		}
	}
}

func deref(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

// yamlStruct reports whether t is a struct decoded key by key (it has yaml
// tags), not a value like a URL.
func yamlStruct(t reflect.Type) bool {
	t = deref(t)
	if t.Kind() != reflect.Struct {
		return false
	}
	for f := range t.Fields() {
		if _, ok := f.Tag.Lookup("yaml"); ok {
			return true
		}
	}
	return false
}

// unknownKey explains a key the YAML library did not find in typeName: where
// the key belongs if it is valid elsewhere, else the nearest valid key here.
func (ix *keyIndex) unknownKey(key, typeName string) string {
	t := ix.byName[typeName]
	msg := fmt.Sprintf("unknown key %q", key)
	if t == nil {
		return msg
	}
	msg += " " + ix.place[t]
	if places := ix.places[key]; len(places) > 0 {
		return fmt.Sprintf("%s; it goes %s", msg, strings.Join(places, " or "))
	}
	if s := suggest(key, func(k string) bool { return slices.Contains(ix.keys[t], k) }); s != "" {
		return fmt.Sprintf("%s; did you mean %q?", msg, s)
	}
	return msg
}

// suggestAlphabet holds the characters of keys and check names.
const suggestAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789_-"

// suggest returns a known name one typo away from name (a character
// missing, extra, wrong, or two swapped), "" when there is none. Trying the
// edits against known needs no list of the names, only a way to ask.
func suggest(name string, known func(string) bool) string {
	if len(name) > 64 {
		return ""
	}
	try := func(candidate string) bool { return candidate != name && known(candidate) }
	for i := 0; i <= len(name); i++ {
		if i+1 < len(name) {
			if c := name[:i] + string(name[i+1]) + string(name[i]) + name[i+2:]; try(c) {
				return c
			}
		}
		if i < len(name) {
			if c := name[:i] + name[i+1:]; try(c) {
				return c
			}
		}
		for _, r := range suggestAlphabet {
			if i < len(name) {
				if c := name[:i] + string(r) + name[i+1:]; try(c) {
					return c
				}
			}
			if c := name[:i] + string(r) + name[i:]; try(c) {
				return c
			}
		}
	}
	return ""
}

// didYouMean is "; did you mean "x"?" for a name one typo from a known one.
func didYouMean(name string, known func(string) bool) string {
	if s := suggest(name, known); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

var (
	keyLineRE   = regexp.MustCompile(`^(?:- +)*("[^"]*"|'[^']*'|[^\s:#"'][^:#]*?)\s*:(?:\s|$)`)
	opensRE     = regexp.MustCompile(`:\s*(?:[|>][-+0-9]*)?\s*(?:#.*)?$`)
	blockScalar = regexp.MustCompile(`:\s*[|>][-+0-9]*\s*(?:#.*)?$`)
)

// indentProblem finds the first line whose indentation breaks the file's
// structure, for YAML syntax errors, which the library often reports at a
// later or earlier line than the one at fault. It returns 0 when it finds
// nothing, and the target the line is in, when it can tell.
func indentProblem(content []byte) (line int, target, msg string) {
	s := indentScanner{stack: []openLine{{indent: 0}}, prevOpens: true, inBlock: -1}
	for i, raw := range strings.Split(string(content), "\n") {
		if msg := s.scan(i+1, raw); msg != "" {
			return i + 1, s.targetName, msg
		}
	}
	return 0, "", ""
}

// openLine is a line whose indentation the lines after it are measured against.
type openLine struct {
	indent int
	key    string
	line   int
}

// indentScanner follows a YAML file line by line, keeping the indentations
// of the blocks open at the current line.
type indentScanner struct {
	stack      []openLine
	step       int  // the file's indentation step, 0 until a line is indented
	prevOpens  bool // the previous line opens a block (the first line may start anywhere)
	prev       openLine
	inBlock    int // indentation of a key whose block scalar (| or >) we are in, -1 when none
	topKey     string
	targetName string
}

// scan takes line n and returns what is wrong with its indentation, "" when nothing.
func (s *indentScanner) scan(n int, raw string) string {
	text := strings.TrimRight(raw, " \r")
	body := strings.TrimLeft(text, " \t")
	if body == "" || strings.HasPrefix(body, "#") {
		return ""
	}
	lead := text[:len(text)-len(body)]
	indent := len(lead)
	if s.insideBlockScalar(indent) {
		return ""
	}
	if strings.Contains(lead, "\t") {
		return "a tab in the indentation; YAML indents with spaces only"
	}
	key := body
	if m := keyLineRE.FindStringSubmatch(body); m != nil {
		key = strings.Trim(m[1], `"'`)
	}
	if s.step == 0 && indent > 0 {
		s.step = indent
	}
	if msg := s.place(indent, key); msg != "" {
		return msg
	}
	s.record(n, indent, key, body)
	return ""
}

// insideBlockScalar reports whether a line at indent is text of the block
// scalar being read, and notes its end.
func (s *indentScanner) insideBlockScalar(indent int) bool {
	if s.inBlock < 0 {
		return false
	}
	if indent > s.inBlock {
		return true
	}
	s.inBlock = -1
	return false
}

// place fits a line at indent into the open blocks, opening or closing
// blocks to match, and returns why it does not fit, "" when it does.
func (s *indentScanner) place(indent int, key string) string {
	top := s.stack[len(s.stack)-1]
	switch {
	case s.step > 0 && indent%s.step != 0:
		return fmt.Sprintf("%q is indented by %d spaces; this file indents in steps of %d", key, indent, s.step)
	case indent > top.indent && !s.prevOpens:
		return fmt.Sprintf("%q is indented deeper than %q on line %d, which already has a value; line them up", key, s.prev.key, s.prev.line)
	case indent > top.indent:
		s.stack = append(s.stack, openLine{indent: indent})
		return ""
	}
	for len(s.stack) > 1 && s.stack[len(s.stack)-1].indent > indent {
		s.stack = s.stack[:len(s.stack)-1]
	}
	if s.stack[len(s.stack)-1].indent != indent {
		return fmt.Sprintf("%q is indented by %d spaces, which lines it up with no key above it", key, indent)
	}
	return ""
}

// record notes what line n, which fits, means for the lines after it: the
// target it starts, the block it opens.
func (s *indentScanner) record(n, indent int, key, body string) {
	if indent == 0 {
		s.topKey = key
	} else if s.topKey == "targets" && indent == s.step && !strings.HasPrefix(body, "-") {
		s.targetName = key
	}
	// A list item's keys line up after its dash.
	if rest, ok := strings.CutPrefix(body, "- "); ok && strings.TrimSpace(rest) != "" {
		s.stack = append(s.stack, openLine{indent: indent + len(body) - len(strings.TrimLeft(rest, " "))})
	}
	s.prevOpens = opensRE.MatchString(body) && !strings.HasPrefix(body, "- ") || strings.HasSuffix(body, ":")
	if blockScalar.MatchString(body) {
		s.inBlock, s.prevOpens = indent, false
	}
	s.prev = openLine{indent: indent, key: key, line: n}
}
