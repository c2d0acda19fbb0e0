package test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoServesTheSampleServicesThroughTheGateway runs `bulwark demo` as a user
// would, with no config file, and uses each sample service through the gateway.
func TestDemoServesTheSampleServicesThroughTheGateway(t *testing.T) {
	gw := startDemo(t)
	c := newClient(t)

	t.Run("GET /pets lists the seeded pets as JSON", func(t *testing.T) {
		res := do(t, c, "GET", gw.url("/pets"), nil)
		if res.Status != http.StatusOK {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type %q, want application/json", ct)
		}
		var pets []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal([]byte(res.Body), &pets); err != nil {
			t.Fatalf("the body is not a JSON list of pets: %v\n%s", err, res.Body)
		}
		if len(pets) == 0 {
			t.Error("the list is empty; the demo seeds pets")
		}
	})

	t.Run("a pet created through the gateway is read back through it, whichever instance answers", func(t *testing.T) {
		res := do(t, c, "POST", gw.url("/pets"), strings.NewReader(`{"name":"Ziggy","tag":"ferret"}`),
			"Content-Type", "application/json")
		if res.Status != http.StatusCreated {
			t.Fatalf("POST /pets: status %d: %s", res.Status, res.Body)
		}
		var created struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal([]byte(res.Body), &created); err != nil || created.ID == 0 {
			t.Fatalf("POST /pets answered %q (%v)", res.Body, err)
		}
		// Two instances share one store: several reads give both a chance to answer.
		for i := range 4 {
			res := do(t, c, "GET", gw.url(fmt.Sprintf("/pets/%d", created.ID)), nil)
			if res.Status != http.StatusOK || !strings.Contains(res.Body, `"Ziggy"`) {
				t.Fatalf("read %d of /pets/%d: status %d %q", i+1, created.ID, res.Status, res.Body)
			}
		}
	})

	t.Run("the demo serves HTTPS over HTTP/2 with its self-signed certificate for localhost", func(t *testing.T) {
		hc := tlsClient(true)
		defer hc.CloseIdleConnections()
		_, port, _ := net.SplitHostPort(gw.ports.HTTPS)
		res, err := hc.Get("https://localhost:" + port + "/pets")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Proto != "HTTP/2.0" {
			t.Fatalf("https /pets: %d over %s", res.StatusCode, res.Proto)
		}
		if names := res.TLS.PeerCertificates[0].DNSNames; len(names) == 0 || names[0] != "localhost" {
			t.Errorf("certificate names %v, want localhost", names)
		}
	})

	t.Run("the catalog lists the services' API documents, pointed at the gateway", func(t *testing.T) {
		var list []struct {
			Service, Kind, Title, Location string
		}
		if !eventually(10*time.Second, func() bool {
			r := do(t, c, "GET", gw.url("/portal/api/services"), nil)
			return r.Status == 200 && json.Unmarshal([]byte(r.Body), &list) == nil && len(list) == 3
		}) {
			t.Fatalf("the catalog never listed library, orders and pets: %+v", list)
		}
		if list[0].Kind != "hal" || list[1].Service != "orders" || list[1].Kind != "swagger-2.0" || list[2].Service != "pets" || list[2].Kind != "openapi-3.1" {
			t.Errorf("catalog = %+v", list)
		}
		r := do(t, c, "GET", gw.url("/portal/api/services/orders/openapi.json"), nil)
		if r.Status != 200 || !strings.Contains(r.Body, `"url": "/orders"`) {
			t.Errorf("normalized orders: %d %.300s", r.Status, r.Body)
		}
	})

	t.Run("the portal shows every API, served by the gateway itself", func(t *testing.T) {
		r := do(t, c, "GET", gw.url("/portal/"), nil)
		if r.Status != 200 || !strings.Contains(r.Body, `href="/portal/services/pets"`) ||
			!strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("portal: %d %q %.200s", r.Status, r.Header.Get("Content-Security-Policy"), r.Body)
		}
		// pets has had requests by now (the subtests above): its page shows them.
		if r := do(t, c, "GET", gw.url("/portal/services/pets"), nil); r.Status != 200 || !strings.Contains(r.Body, "2/2 instances healthy") ||
			!strings.Contains(r.Body, "requests,") {
			t.Errorf("pets page: %d %.300s", r.Status, r.Body)
		}
	})

	t.Run("GET /orders answers 200", func(t *testing.T) {
		res := do(t, c, "GET", gw.url("/orders"), nil)
		if res.Status != http.StatusOK {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		if !json.Valid([]byte(res.Body)) {
			t.Errorf("the body is not JSON: %s", res.Body)
		}
	})

	t.Run("the HAL library builds its links from the gateway's forwarded host and prefix", func(t *testing.T) {
		res := do(t, c, "GET", gw.url("/library"), nil, "Accept", "application/hal+json")
		if res.Status != http.StatusOK {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/hal+json") {
			t.Errorf("Content-Type %q, want application/hal+json", ct)
		}
		var doc struct {
			Links map[string]json.RawMessage `json:"_links"`
		}
		if err := json.Unmarshal([]byte(res.Body), &doc); err != nil {
			t.Fatalf("decoding %s: %v", res.Body, err)
		}
		base := "http://" + gw.ports.HTTP + "/library/"
		for _, rel := range []string{"self", "lib:books", "lib:authors"} {
			var l struct {
				Href string `json:"href"`
			}
			if err := json.Unmarshal(doc.Links[rel], &l); err != nil {
				t.Errorf("link %q: %v in %s", rel, err, res.Body)
				continue
			}
			if !strings.HasPrefix(l.Href, base) {
				t.Errorf("link %q is %q, want it under %s", rel, l.Href, base)
			}
		}
		// Following a link through the gateway works.
		var books struct {
			Href string `json:"href"`
		}
		_ = json.Unmarshal(doc.Links["lib:books"], &books)
		if res := do(t, c, "GET", books.Href, nil); res.Status != http.StatusOK {
			t.Errorf("following lib:books (%s): status %d", books.Href, res.Status)
		}
	})

	t.Run("/readyz on the admin listener answers 200", func(t *testing.T) {
		if res := do(t, c, "GET", gw.adminURL("/readyz"), nil); res.Status != http.StatusOK {
			t.Errorf("status %d: %s", res.Status, res.Body)
		}
	})

	t.Run("the banner names the gateway and portal URLs, after the token and the fingerprint, all on stderr", func(t *testing.T) {
		out := gw.stderr.String()
		banner := strings.Index(out, "bulwark demo is running")
		if banner < 0 || !strings.Contains(out[banner:], "http://"+gw.ports.HTTP+"/portal/") {
			t.Errorf("stderr has no banner naming http://%s/portal/:\n%s", gw.ports.HTTP, out)
		}
		for _, before := range []string{"admin token", "self-signed certificate for localhost", `msg="demo service started"`} {
			if i := strings.Index(out, before); i < 0 || i > banner {
				t.Errorf("stderr does not say %q before the banner:\n%s", before, out)
			}
		}
		if s := gw.stdout.String(); s != "" {
			t.Errorf("stdout is not empty: everything a person reads at start goes to stderr:\n%s", s)
		}
	})

	t.Run("SIGTERM stops the demo with exit 0", func(t *testing.T) {
		gw.signal(syscall.SIGTERM)
		if code := gw.waitExit(exitTimeout); code != 0 {
			t.Errorf("exit code %d, want 0", code)
		}
		gw.checkNoRace()
	})
}

// A port another program holds stops the demo before it says it is running,
// with a message naming the port and the flag that moves it; nothing starts.
func TestDemoRefusesATakenPortBeforeTheBanner(t *testing.T) {
	for _, flag := range []string{"--http", "--https", "--admin"} {
		t.Run(flag, func(t *testing.T) {
			held, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer held.Close()
			addrs := map[string]string{"--http": freeAddr(t), "--https": freeAddr(t), "--admin": freeAddr(t)}
			addrs[flag] = held.Addr().String()
			args := []string{"demo", "--data", t.TempDir()}
			for f, a := range addrs {
				args = append(args, f, a)
			}
			out, errOut, code := runBulwark(t, args...)
			if code != 1 {
				t.Fatalf("exit code %d, want 1\nstderr:\n%s", code, errOut)
			}
			_, port, _ := net.SplitHostPort(held.Addr().String())
			if !strings.Contains(errOut, "port "+port) || !strings.Contains(errOut, "move the demo with "+flag+" ADDR") {
				t.Errorf("stderr does not name port %s and %s:\n%s", port, flag, errOut)
			}
			if strings.Contains(out+errOut, "is running") || strings.Contains(errOut, "demo service started") {
				t.Errorf("the demo started something before failing:\nstdout:\n%s\nstderr:\n%s", out, errOut)
			}
		})
	}
}

// bulwark demo --help lists every flag the README names.
func TestDemoHelpListsEveryFlag(t *testing.T) {
	_, errOut, code := runBulwark(t, "demo", "--help")
	if code != 0 {
		t.Fatalf("exit code %d\n%s", code, errOut)
	}
	for _, flag := range []string{"-http", "-https", "-admin", "-data", "[--https ADDR]", "[--data DIR]"} {
		if !strings.Contains(errOut, flag) {
			t.Errorf("demo --help does not mention %s:\n%s", flag, errOut)
		}
	}
	out, _, _ := runBulwark(t, "--help")
	if !strings.Contains(out, "bulwark demo [--http ADDR] [--https ADDR] [--admin ADDR] [--data DIR]") {
		t.Errorf("bulwark --help does not list the demo's flags:\n%s", out)
	}
}
