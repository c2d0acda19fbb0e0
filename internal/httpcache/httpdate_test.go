package httpcache

import (
	"testing"
	"time"
)

func TestRFC9110_5_6_7_DateFormats(t *testing.T) {
	want := time.Date(2050, 8, 18, 2, 1, 18, 0, time.UTC)
	tests := []struct {
		in string
		ok bool
	}{
		// §5.6.7 MUST accept all three formats.
		{"Thu, 18 Aug 2050 02:01:18 GMT", true},
		{"Thursday, 18-Aug-50 02:01:18 GMT", true},
		{"Thu Aug 18 02:01:18 2050", true},
		// Anything else is invalid, so an Expires holding it means expired (RFC 9111 §5.3).
		{"Thu, 18 Aug 2050 02:01:18 UTC", false},
		{"Thu, 18 Aug 2050 02:01:18 AEST", false},
		{"Thu, 18 Aug 50 02:01:18 GMT", false},
		{"Thu 18 Aug 2050 02:01:18 GMT", false},
		{"Thu, 18  Aug  2050 02:01:18 GMT", false},
		{"Thu, 18-Aug-2050 02:01:18 GMT", false},
		{"Thu, 18 Aug 2050 02.01.18 GMT", false},
		{"Thu, 18 Aug 2050 2:01:18 GMT", false},
		{"0", false},
		{"", false},
	}
	for _, tt := range tests {
		got, ok := parseHTTPDate(tt.in)
		if ok != tt.ok || ok && !got.Equal(want) {
			t.Errorf("parseHTTPDate(%q) = %v, %v; want ok=%v", tt.in, got, ok, tt.ok)
		}
	}
	if _, ok := parseHTTPDate("Sun Nov  6 08:49:37 1994"); !ok {
		t.Error("asctime with a space-padded day rejected")
	}
}

func TestRFC9111_5_3_ExpiresOnSeveralLinesIsInvalid(t *testing.T) {
	e := stored("Expires: "+httpDate(at(3600)), "Expires: "+httpDate(at(3601)))
	if e.Lifetime() != 0 {
		t.Errorf("lifetime %v, want 0", e.Lifetime())
	}
}
