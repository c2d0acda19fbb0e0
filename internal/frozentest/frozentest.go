// Package frozentest helps tests check that a value published as immutable is
// never written again: Print renders everything reachable from a value, and
// a test compares the rendering of an old value taken when it was published
// with one taken after later values were built from it. A rendering also
// reads every byte it shows, so taking one on another goroutine while later
// values are built lets the race detector report a write as well.
package frozentest

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Print renders v: structs with every field, exported or not; maps with
// their keys sorted; pointers by address and, at their first appearance,
// what they point to. Values of the packages sync and sync/atomic, and those
// for which opaque returns true, are live by design (counters, locks, pools)
// and rendered as their address alone, so only what must stay as it was is
// compared.
func Print(v any, opaque func(reflect.Type) bool) string {
	p := &printer{seen: map[uintptr]bool{}, opaque: opaque}
	p.value(reflect.ValueOf(v))
	return p.b.String()
}

type printer struct {
	b      strings.Builder
	seen   map[uintptr]bool
	opaque func(reflect.Type) bool
}

func (p *printer) isOpaque(t reflect.Type) bool {
	switch t.PkgPath() {
	case "sync", "sync/atomic":
		return true
	}
	return p.opaque != nil && p.opaque(t)
}

func (p *printer) value(v reflect.Value) {
	if !v.IsValid() {
		p.b.WriteString("<invalid>")
		return
	}
	if p.isOpaque(v.Type()) {
		p.b.WriteString("<" + v.Type().String() + ">")
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			p.b.WriteString("nil")
			return
		}
		addr := v.Pointer()
		fmt.Fprintf(&p.b, "&%#x", addr)
		if p.seen[addr] || p.isOpaque(v.Type().Elem()) {
			return
		}
		p.seen[addr] = true
		p.value(v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			p.b.WriteString("nil")
			return
		}
		p.b.WriteString(v.Elem().Type().String() + "(")
		p.value(v.Elem())
		p.b.WriteString(")")
	case reflect.Struct:
		p.b.WriteString(v.Type().String() + "{")
		for i := range v.NumField() {
			p.b.WriteString(v.Type().Field(i).Name + ":")
			p.value(v.Field(i))
			p.b.WriteString(" ")
		}
		p.b.WriteString("}")
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			p.b.WriteString("nil")
			return
		}
		p.b.WriteString("[")
		for i := range v.Len() {
			p.value(v.Index(i))
			p.b.WriteString(" ")
		}
		p.b.WriteString("]")
	case reflect.Map:
		if v.IsNil() {
			p.b.WriteString("nil")
			return
		}
		type kv struct {
			key string
			val reflect.Value
		}
		var entries []kv
		for it := v.MapRange(); it.Next(); {
			entries = append(entries, kv{p.key(it.Key()), it.Value()})
		}
		slices.SortFunc(entries, func(a, b kv) int { return strings.Compare(a.key, b.key) })
		p.b.WriteString("map[")
		for _, e := range entries {
			p.b.WriteString(e.key + ":")
			p.value(e.val)
			p.b.WriteString(" ")
		}
		p.b.WriteString("]")
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		fmt.Fprintf(&p.b, "%s(%#x)", v.Kind(), v.Pointer())
	case reflect.String:
		p.b.WriteString(strconv.Quote(v.String()))
	case reflect.Bool:
		p.b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p.b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		p.b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		p.b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	case reflect.Complex64, reflect.Complex128:
		p.b.WriteString(strconv.FormatComplex(v.Complex(), 'g', -1, 128))
	}
}

// key renders a map key on its own: a pointer by its address, so that the
// order of the keys does not depend on what was printed before.
func (p *printer) key(k reflect.Value) string {
	if k.Kind() == reflect.Pointer {
		return fmt.Sprintf("&%#x", k.Pointer())
	}
	kp := &printer{seen: map[uintptr]bool{}, opaque: p.opaque}
	kp.value(k)
	return kp.b.String()
}

// Diff shows where two renderings first differ, with some context: whole
// renderings of a route table run to kilobytes.
func Diff(was, now string) string {
	i := 0
	for i < len(was) && i < len(now) && was[i] == now[i] {
		i++
	}
	from := max(i-120, 0)
	return fmt.Sprintf("at byte %d:\n was …%s\n now …%s", i, was[from:min(i+120, len(was))], now[from:min(i+120, len(now))])
}
