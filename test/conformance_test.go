package test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// conformanceTool returns the tool named by env (set by
// scripts/conformance-tools.sh), skipping the test when it is missing, unless
// under CI, where a missing tool is a failure.
func conformanceTool(t *testing.T, env string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s is not set to an installed tool: run eval \"$(scripts/conformance-tools.sh)\"", env)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// httpsGateway serves / from a recording upstream on an HTTPS listener with
// the development certificate.
func httpsGateway(t *testing.T) (*proc, string, *upstream) {
	up := newUpstream(t, "conf")
	data := t.TempDir()
	var https string
	pr := startServe(t, func(p ports) string {
		https = freeAddr(t)
		return fmt.Sprintf("listen:\n  http: %q\n  https: %q\nadmin:\n  listen: %q\n  token: %q\n"+
			"tls: {dev: true, data_dir: %q}\nlog: {level: warn, access_log: false}\n"+
			"discovery:\n  static:\n    - service: s\n      instances: [%q]\nroutes:\n  - path: /\n    service: s\n",
			p.HTTP, https, p.Admin, adminToken, data, up.Addr())
	})
	return pr, https, up
}

// h2specBaseline are the cases a stock Go 1.26 TLS server fails
// (../shared/TESTING.md): bulwark may fail these and no other.
var h2specBaseline = []string{"4.2/3", "6.5.3/1", "8.1.2.2/1", "8.1.2.2/2"}

type junit struct {
	Suites []struct {
		Package string `xml:"package,attr"`
		Cases   []struct {
			Failure *struct{} `xml:"failure"`
			Error   *struct{} `xml:"error"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestH2Spec runs h2spec against the HTTPS listener: no failure beyond the
// stock Go server's, and the connection-specific headers those baseline
// failures let in (Connection, TE other than trailers) never reach the
// upstream.
func TestH2Spec(t *testing.T) {
	h2spec := conformanceTool(t, "BULWARK_H2SPEC")
	pr, https, up := httpsGateway(t)
	host, port, _ := net.SplitHostPort(https)
	report := filepath.Join(t.TempDir(), "h2spec.xml")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, _ := exec.CommandContext(ctx, h2spec, "-h", host, "-p", port, "-t", "-k", "-o", "2", "-j", report).CombinedOutput()
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("h2spec wrote no report: %v\n%s", err, out)
	}
	var r junit
	if err := xml.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	var failed []string
	total := 0
	for _, s := range r.Suites {
		for i, c := range s.Cases {
			total++
			if c.Failure != nil || c.Error != nil {
				failed = append(failed, fmt.Sprintf("%s/%d", s.Package[strings.LastIndex(s.Package, "/")+1:], i+1))
			}
		}
	}
	if total < 140 {
		t.Fatalf("h2spec ran %d cases, expected 145\n%s", total, out)
	}
	for _, f := range failed {
		if !slices.Contains(h2specBaseline, f) {
			t.Errorf("h2spec case %s fails, and a stock Go server passes it", f)
		}
	}
	for _, req := range up.Requests() {
		if v := req.Header.Get("Connection"); v != "" {
			t.Errorf("a Connection: %q header reached the upstream", v)
		}
		if v := req.Header.Values("Te"); len(v) > 0 && (len(v) != 1 || v[0] != "trailers") {
			t.Errorf("TE %q reached the upstream", v)
		}
	}
	t.Logf("h2spec: %d cases, failed %v (the stock Go baseline is %v)", total, failed, h2specBaseline)
	pr.checkNoRace()
}

// TestTestSSL runs testssl.sh against the HTTPS listener: no SSLv2/3, TLS 1.0
// or 1.1; and only forward-secret AEAD suites (no RSA key exchange, no CBC).
func TestTestSSL(t *testing.T) {
	testssl := conformanceTool(t, "BULWARK_TESTSSL")
	pr, https, _ := httpsGateway(t)
	report := filepath.Join(t.TempDir(), "testssl.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, _ := exec.CommandContext(ctx, testssl, "-p", "-s", "-E", "--color", "0", "--warnings", "off", "--quiet",
		"--jsonfile", report, https).CombinedOutput()
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("testssl wrote no report: %v\n%s", err, out)
	}
	var findings []struct{ ID, Finding string }
	if err := json.Unmarshal(raw, &findings); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var ciphers []string
	for _, f := range findings {
		got[f.ID] = f.Finding
		if strings.HasPrefix(f.ID, "cipher-tls") {
			ciphers = append(ciphers, f.Finding)
		}
	}
	for _, proto := range []string{"SSLv2", "SSLv3", "TLS1", "TLS1_1"} {
		if !strings.Contains(got[proto], "not offered") {
			t.Errorf("%s: %q, want not offered", proto, got[proto])
		}
	}
	for _, proto := range []string{"TLS1_2", "TLS1_3"} {
		if !strings.HasPrefix(got[proto], "offered") {
			t.Errorf("%s: %q, want offered", proto, got[proto])
		}
	}
	if len(ciphers) == 0 {
		t.Fatalf("testssl listed no cipher\n%s", out)
	}
	for _, c := range ciphers {
		if strings.Contains(c, "CBC") || strings.Contains(c, "TLS_RSA_") || !strings.Contains(c, "ECDH") {
			t.Errorf("offered: %s", c)
		}
	}
	pr.checkNoRace()
}
