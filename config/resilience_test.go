package config

import (
	"strings"
	"testing"
	"time"
)

func TestResilienceBlockProblems(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  string
		want []string
	}{
		{"retries.attempts is bounded", "defaults:\n  retries: {attempts: 0}\n",
			[]string{`b.yaml:2:23: defaults.retries.attempts: must be from 1 (no retries) to 10, got 0`}},
		{"a budget must be a percentage", "defaults:\n  retries: {budget: lots}\n",
			[]string{`defaults.retries.budget: expected a percentage such as "20%", found "lots"`}},
		{"a share above 100% is refused", withPets("services:\n  pets:\n    outlier: {max_ejected: 150%}\n"),
			[]string{`services.pets.outlier.max_ejected: "150%" is not between 0% and 100%`}},
		{"a breaker needs at least one probe", "defaults:\n  breaker: {half_open_requests: 0}\n",
			[]string{`defaults.breaker.half_open_requests: must be at least 1, got 0`}},
		{"negative sizes and durations are refused",
			"defaults:\n  bulkhead: {max_concurrent: -1, queue_timeout: 0s}\n  outlier: {eject_for: -1s}\n",
			[]string{`defaults.bulkhead.max_concurrent: must not be negative, got -1`,
				`defaults.bulkhead.queue_timeout: must be positive, got 0s`,
				`defaults.outlier.eject_for: must be positive, got -1s`}},
		{"a misspelt resilience key is located", "defaults:\n  breaker: {failure: 3}\n",
			[]string{`b.yaml:2:13: defaults.breaker: unknown key "failure"`}},
		{"the write token must differ from the read token", "admin: {token: aaaaaaaaaaaaaaaaaaaa, write_token: aaaaaaaaaaaaaaaaaaaa}\n",
			[]string{`admin.write_token: must differ from admin.token`}},
		{"a short write token is refused", "admin: {write_token: short}\n",
			[]string{`admin.write_token: is too short to be a secret`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, tt.src)
			if len(got) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n  %s", len(got), len(tt.want), strings.Join(got, "\n  "))
			}
			checkContains(t, got, tt.want...)
		})
	}
}

func TestResilienceBlocksTranslateLayerByLayer(t *testing.T) {
	src := withPets("defaults:\n  retries: {attempts: 3, budget: 50%}\nservices:\n  pets:\n" +
		"    breaker: {failures: 2, open_for: 1s}\n    retries: {budget: 0.1}\n    outlier: {max_ejected: 25%}\n")
	f, err := Parse("b.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, why, err := f.Policy("pets")
	if err != nil {
		t.Fatal(err)
	}
	if p.Retries.Attempts != 3 || p.Retries.Budget != 0.1 || p.Breaker.Failures != 2 || p.Breaker.OpenFor != time.Second ||
		p.Breaker.HalfOpenRequests != 3 || p.Outlier.MaxEjected != 0.25 {
		t.Errorf("policy = %+v", p)
	}
	if why["retries.attempts"] != "defaults" || why["retries.budget"] != "services.pets" || why["breaker.half_open_requests"] != "built-in" {
		t.Errorf("explanation = %v", why)
	}
}

func TestPercentFraction(t *testing.T) {
	for in, want := range map[Percent]float64{"20%": 0.2, "0.2": 0.2, "100%": 1, "0": 0, " 50 % ": 0.5} {
		if got, err := in.Fraction(); err != nil || got != want {
			t.Errorf("Percent(%q).Fraction() = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []Percent{"", "%", "-1%", "1.5", "twenty"} {
		if _, err := bad.Fraction(); err == nil {
			t.Errorf("Percent(%q) accepted", bad)
		}
	}
}

func TestDocsBlock(t *testing.T) {
	f, err := Parse("b.yaml", []byte(withPets("services:\n  pets:\n    docs: {openapi: /v3/api-docs}\n")))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.DocPath("pets"); got != "/v3/api-docs" {
		t.Errorf("DocPath = %q", got)
	}
	if got := f.DocPath("other"); got != "" {
		t.Errorf("DocPath of a service without docs = %q", got)
	}
	got := problemsOf(t, "defaults:\n  docs: {openapi: openapi.json}\n")
	checkContains(t, got, "defaults.docs: documents are per service", `defaults.docs.openapi: "openapi.json" must be a clean absolute path`)
}
