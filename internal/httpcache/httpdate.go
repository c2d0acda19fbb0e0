package httpcache

import (
	"net/http"
	"time"
)

// parseHTTPDate parses the three HTTP-date forms of RFC 9110 §5.6.7
// strictly: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the obsolete
// RFC 850 form ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov
// 6 08:49:37 1994"). http.ParseTime alone is too lenient for freshness:
// it takes a one-digit hour, so "2:01:18" would make an invalid Expires
// (which RFC 9111 §5.3 says MUST mean "already expired") look valid.
func parseHTTPDate(s string) (time.Time, bool) {
	var layout string
	switch {
	case len(s) == 29 && s[3] == ',' && s[26:] == "GMT" && digitsAt(s, 5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24):
		layout = http.TimeFormat
	case len(s) == 24 && digitsAt(s, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22, 23) && (s[8] == ' ' || digitsAt(s, 8)):
		layout = time.ANSIC
	default:
		// RFC 850: a full day name, then ", DD-Mon-YY HH:MM:SS GMT".
		if n := len(s) - 24; n < 6 || s[n:n+2] != ", " || s[len(s)-3:] != "GMT" ||
			!digitsAt(s, n+2, n+3, n+9, n+10, n+12, n+13, n+15, n+16, n+18, n+19) {
			return time.Time{}, false
		}
		layout = time.RFC850
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func digitsAt(s string, idx ...int) bool {
	for _, i := range idx {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// headerDate parses a date field that must appear once: several field
// lines make it invalid, as a list of dates has no meaning.
func headerDate(h http.Header, name string) (time.Time, bool) {
	vs := h.Values(name)
	if len(vs) != 1 {
		return time.Time{}, false
	}
	return parseHTTPDate(vs[0])
}
