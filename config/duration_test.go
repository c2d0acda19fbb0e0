package config

import (
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestDurationsReadAndWriteGoSyntax(t *testing.T) {
	var v struct {
		D Duration `yaml:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 1m30s\n"), &v); err != nil || v.D.D() != 90*time.Second {
		t.Fatalf("yaml.Unmarshal = %v, %v; want 1m30s", v.D, err)
	}
	out, err := yaml.Marshal(v)
	if err != nil || string(out) != "d: 1m30s\n" {
		t.Errorf("yaml.Marshal = %q, %v", out, err)
	}
	if err := yaml.Unmarshal([]byte("d: 90\n"), &v); err == nil {
		t.Error("a duration without a unit was accepted by yaml.Unmarshal")
	}
}
