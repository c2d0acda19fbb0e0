package policies

import (
	"encoding/json"
	"strings"
)

// List is the value of a List key: a few short strings, such as CORS
// origins or CIDRs. It is a comparable value (the items joined), so it is
// stored, compared and resolved like any other policy value; code that acts
// on it reads Items once, when it builds what the state needs, never per
// request.
type List struct{ joined string }

// listSep joins the items; no item may hold it (Check refuses a newline).
const listSep = "\n"

// ListOf makes a List of items, in order; empty items are dropped.
func ListOf(items ...string) List {
	kept := make([]string, 0, len(items))
	for _, s := range items {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return List{joined: strings.Join(kept, listSep)}
}

// Items are the list's strings, in the order they were written.
func (l List) Items() []string {
	if l.joined == "" {
		return nil
	}
	return strings.Split(l.joined, listSep)
}

// Empty reports whether the list has no items.
func (l List) Empty() bool { return l.joined == "" }

// String writes the list as a label does: the items separated by ", ".
func (l List) String() string { return strings.ReplaceAll(l.joined, listSep, ", ") }

// MarshalJSON writes the list as a JSON array, [] when empty.
func (l List) MarshalJSON() ([]byte, error) {
	items := l.Items()
	if items == nil {
		items = []string{}
	}
	return json.Marshal(items)
}

// UnmarshalJSON reads a JSON array of strings.
func (l *List) UnmarshalJSON(b []byte) error {
	var items []string
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	*l = ListOf(items...)
	return nil
}

// parseLabelList reads a label's comma-separated items, trimmed.
func parseLabelList(s string) List {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return ListOf(parts...)
}
