package hal

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// URITemplate is a parsed RFC 6570 URI template. Every operator of levels 1 to
// 3 is supported, and level 4's prefix (":3") and explode ("*") modifiers parse.
// Values are strings, so explode changes nothing.
type URITemplate struct {
	raw   string
	parts []part
}

// part is a literal (op == 0 and vars == nil) or an expression.
type part struct {
	literal string
	expr    bool
	op      byte // 0 for simple string expansion
	vars    []varSpec
}

type varSpec struct {
	name    string
	prefix  int // 0: the whole value
	explode bool
}

// operator is one row of the table in RFC 6570 appendix A.
type operator struct {
	first, sep string
	named      bool
	ifEmpty    string
	reserved   bool // allow reserved characters and pct-encoded triplets (U+R)
}

var operators = map[byte]operator{
	0:   {"", ",", false, "", false},
	'+': {"", ",", false, "", true},
	'#': {"#", ",", false, "", true},
	'.': {".", ".", false, "", false},
	'/': {"/", "/", false, "", false},
	';': {";", ";", true, "", false},
	'?': {"?", "&", true, "=", false},
	'&': {"&", "&", true, "=", false},
}

// ParseURITemplate parses an RFC 6570 template.
func ParseURITemplate(s string) (*URITemplate, error) {
	t := &URITemplate{raw: s}
	for i := 0; i < len(s); {
		j := strings.IndexAny(s[i:], "{}")
		if j < 0 {
			t.parts = append(t.parts, part{literal: s[i:]})
			break
		}
		if j > 0 {
			t.parts = append(t.parts, part{literal: s[i : i+j]})
		}
		i += j
		if s[i] == '}' {
			return nil, fmt.Errorf("uri template %q: a } at offset %d closes nothing", s, i)
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("uri template %q: the { at offset %d is not closed", s, i)
		}
		p, err := parseExpression(s[i+1 : i+end])
		if err != nil {
			return nil, fmt.Errorf("uri template %q: expression at offset %d: %w", s, i, err)
		}
		t.parts = append(t.parts, p)
		i += end + 1
	}
	return t, nil
}

func parseExpression(body string) (part, error) {
	p := part{expr: true}
	if body == "" {
		return p, fmt.Errorf("empty expression")
	}
	if _, ok := operators[body[0]]; ok && body[0] != 0 {
		p.op, body = body[0], body[1:]
	} else if strings.IndexByte("=,!@|", body[0]) >= 0 {
		return p, fmt.Errorf("operator %q is reserved for future extensions", body[0])
	}
	for _, spec := range strings.Split(body, ",") {
		v := varSpec{}
		name, mod, hasPrefix := strings.Cut(spec, ":")
		if hasPrefix {
			n, err := strconv.Atoi(mod)
			if err != nil || len(mod) > 4 || mod[0] < '1' || mod[0] > '9' {
				return p, fmt.Errorf("prefix %q of %q is not a number from 1 to 9999", mod, name)
			}
			v.prefix = n
		} else if n, ok := strings.CutSuffix(name, "*"); ok {
			name, v.explode = n, true
		}
		if !validVarName(name) {
			return p, fmt.Errorf("%q is not a variable name", name)
		}
		v.name = name
		p.vars = append(p.vars, v)
	}
	return p, nil
}

// validVarName checks varname = varchar *( ["."] varchar ), where a varchar is
// ALPHA, DIGIT, "_" or a pct-encoded triplet.
func validVarName(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c) || c == '_' || c == '.':
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

// String returns the template as written.
func (t *URITemplate) String() string { return t.raw }

// Vars lists the variable names in the order they first appear, so that a form
// can ask for each one.
func (t *URITemplate) Vars() []string {
	var names []string
	seen := map[string]bool{}
	for _, p := range t.parts {
		for _, v := range p.vars {
			if !seen[v.name] {
				seen[v.name] = true
				names = append(names, v.name)
			}
		}
	}
	return names
}

// Expand substitutes vars. A variable missing from vars is undefined and
// expands to nothing (RFC 6570 section 2.3); an empty string is defined.
func (t *URITemplate) Expand(vars map[string]string) string {
	var b strings.Builder
	for _, p := range t.parts {
		if !p.expr {
			encode(&b, p.literal, true)
			continue
		}
		op := operators[p.op]
		first := true
		for _, v := range p.vars {
			val, ok := vars[v.name]
			if !ok {
				continue
			}
			if first {
				b.WriteString(op.first)
				first = false
			} else {
				b.WriteString(op.sep)
			}
			if op.named {
				b.WriteString(v.name)
				if val == "" {
					b.WriteString(op.ifEmpty)
					continue
				}
				b.WriteByte('=')
			}
			if v.prefix > 0 && utf8.RuneCountInString(val) > v.prefix {
				n := 0
				for i := range val {
					if n == v.prefix {
						val = val[:i]
						break
					}
					n++
				}
			}
			encode(&b, val, op.reserved)
		}
	}
	return b.String()
}

// encode writes s, keeping unreserved characters and, when reserved is set,
// reserved characters and pct-encoded triplets; every other byte of its UTF-8
// is pct-encoded. Literals are written with reserved set, which percent-encodes
// what is not allowed anywhere in a URI (spaces, quotes, "<").
func encode(b *strings.Builder, s string, reserved bool) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c) || strings.IndexByte("-._~", c) >= 0:
			b.WriteByte(c)
		case reserved && strings.IndexByte(":/?#[]@!$&'()*+,;=", c) >= 0:
			b.WriteByte(c)
		case reserved && c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteString(s[i : i+3])
			i += 2
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
