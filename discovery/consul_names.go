package discovery

import (
	"encoding/json"
	"errors"
)

// serviceNames is Consul's service list (/v1/catalog/services) read for its
// names alone. The tags beside each name come again in the service's own
// health answer, which is what routing reads. A registration or
// deregistration makes Consul send the whole list; at a thousand services
// decoding it into a map of tag slices was the largest part of bulwark's CPU
// per change, and this scan skips the tags without allocating them.
type serviceNames map[string]bool

var errNotServiceList = errors.New("consul: the service list is not a JSON object of names")

// UnmarshalJSON reads {"name": [...], ...}: each key is kept, each value
// skipped. encoding/json has checked b is one valid JSON value.
func (s *serviceNames) UnmarshalJSON(b []byte) error {
	out := make(serviceNames, len(*s))
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errNotServiceList
	}
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] != '}' {
		if b[i] != '"' {
			return errNotServiceList
		}
		end, escaped := stringEnd(b, i)
		if end < 0 {
			return errNotServiceList
		}
		name := string(b[i+1 : end])
		if escaped { // rare: Consul names are DNS-like; read it the JSON way
			if err := json.Unmarshal(b[i:end+1], &name); err != nil {
				return err
			}
		}
		out[name] = true
		i = skipSpace(b, end+1)
		if i >= len(b) || b[i] != ':' {
			return errNotServiceList
		}
		if i = skipValue(b, skipSpace(b, i+1)); i < 0 {
			return errNotServiceList
		}
		if i = skipSpace(b, i); i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	*s = out
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd is the index of the quote closing the string opening at b[i],
// and whether it holds escapes; -1 when it does not close.
func stringEnd(b []byte, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j, escaped
		}
	}
	return -1, false
}

// skipValue returns the index just past the JSON value starting at b[i]
// (arrays and objects by depth, strings by their closing quote), -1 when it
// does not end.
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			end, _ := stringEnd(b, i)
			if end < 0 {
				return -1
			}
			i = end
			if depth == 0 {
				return i + 1
			}
		case '[', '{':
			depth++
		case ']', '}':
			if depth == 0 { // the end of the object around a literal (null, 1, true)
				return i
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	if depth == 0 {
		return i
	}
	return -1
}
