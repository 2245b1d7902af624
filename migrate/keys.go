package migrate

import (
	"bytes"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// lazyKeyLines finds the line where a key is defined, for validation errors
// (the decoder only locates its own errors). It parses on first use: files
// that validate never pay for it.
type lazyKeyLines struct {
	content []byte
	lines   map[string]int
}

// line returns where key (or, failing that, its closest parent) is defined,
// 0 when unknown.
func (k *lazyKeyLines) line(key []string) int {
	if k.lines == nil {
		k.lines = keyLines(k.content)
	}
	for n := len(key); n > 0; n-- {
		if l, ok := k.lines[strings.Join(key[:n], "\x00")]; ok {
			return l
		}
	}
	return 0
}

// keyLines maps every table header and key, as its parts joined by NUL, to
// the line of its first definition.
func keyLines(content []byte) map[string]int {
	lines := map[string]int{}
	lineOf := func(off uint32) int { return 1 + bytes.Count(content[:off], []byte("\n")) }
	record := func(path []string, off uint32) {
		k := strings.Join(path, "\x00")
		if _, ok := lines[k]; !ok {
			lines[k] = lineOf(off)
		}
	}
	var walkValue func(path []string, v *unstable.Node)
	walkKeyValue := func(prefix []string, kv *unstable.Node) {
		path := slices.Clip(prefix)
		it := kv.Key()
		for first, off := true, uint32(0); it.Next(); first = false {
			n := it.Node()
			path = append(path, string(n.Data))
			if first {
				off = n.Raw.Offset // a dotted key's line is where it starts
			}
			record(path, off)
		}
		walkValue(path, kv.Value())
	}
	walkValue = func(path []string, v *unstable.Node) {
		if v == nil || v.Kind != unstable.InlineTable {
			return
		}
		for it := v.Children(); it.Next(); {
			walkKeyValue(path, it.Node())
		}
	}
	p := unstable.Parser{}
	p.Reset(content)
	var table []string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = table[:0:0]
			for it := e.Key(); it.Next(); {
				table = append(table, string(it.Node().Data))
				record(table, it.Node().Raw.Offset)
			}
		case unstable.KeyValue:
			walkKeyValue(table, e)
		}
	}
	return lines
}
