package routing

import (
	"slices"
	"strings"
)

// Ownership: the config file's routes come first and are all kept; then
// every service's label routes, in the order of the services' names, each
// kept unless a route with its Identity is already held. A label route
// identical to a file route is shadowed (the file is the operator's word),
// and when two services claim one route the one whose name sorts first keeps
// it, so the outcome does not depend on which registration was seen first.
// Two routes with one Identity fall in one bucket, so ownership is settled
// bucket by bucket, and merging every bucket is the whole merge.

// Owned are the routes a service declares for itself (its labels), with the
// Identity and Key of each when the caller has them at hand; when IDs or
// Keys are shorter than Routes, the rest are computed. An owned route sends
// requests to its owner: its Service is the owner's name in the table.
type Owned struct {
	Routes []Route
	IDs    []string
	Keys   []Key
}

func (o Owned) id(i int) string {
	if i < len(o.IDs) {
		return o.IDs[i]
	}
	return Identity(o.Routes[i])
}

func (o Owned) key(i int) Key {
	if i < len(o.Keys) {
		return o.Keys[i]
	}
	return KeyOf(o.Routes[i])
}

// Conflict is a label route skipped because another owner holds it: Msg says
// which and who, Key is the bucket it was skipped in.
type Conflict struct {
	Key Key
	Msg string
}

// mergeBucket merges the routes of bucket k: the file's, then those of the
// services that claim the bucket, in name order. It returns the bucket's
// routes in merge order and adds the routes it skipped to skipped.
func mergeBucket(k Key, file []Route, claims []string, labels func(string) Owned, skipped map[string][]Conflict) []Route {
	src := slices.Clone(file)
	owner := make(map[string]string, len(file)+len(claims)) // identity → service; "" for the file
	for _, r := range file {
		owner[Identity(r)] = ""
	}
	for _, name := range claims {
		o := labels(name)
		for i, r := range o.Routes {
			if o.key(i) != k {
				continue
			}
			id := o.id(i)
			if held, taken := owner[id]; taken {
				if held != name { // a service naming one route twice holds it once, in no conflict with itself
					skipped[name] = append(skipped[name], Conflict{Key: k, Msg: conflictMessage(r, held)})
				}
				continue
			}
			owner[id] = name
			r.Service = name // a label route sends requests to its owner, whatever it says
			src = append(src, r)
		}
	}
	return src
}

func conflictMessage(r Route, owner string) string {
	return "route " + Describe(r) + " is already taken by " + describeOwner(owner) + "; skipped"
}

// describeOwner names who holds a route in mergeBucket's owner map.
func describeOwner(o string) string {
	if o == "" {
		return "the config file"
	}
	return "service " + o
}

// sortConflicts orders a service's conflicts by message, so that they do not
// depend on the order in which buckets were merged.
func sortConflicts(list []Conflict) {
	slices.SortFunc(list, func(a, b Conflict) int { return strings.Compare(a.Msg, b.Msg) })
}
