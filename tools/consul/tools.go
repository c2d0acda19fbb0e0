//go:build tools

// Package tools pins the Consul agent that the integration tests run against.
//
// It lives in its own module so that Consul and its large dependency tree never
// enter the product's go.mod. scripts/consul.sh builds the binary from here.
// v1.14.11 is the newest MPL-2.0 release that does not need the
// consul/envoyextensions or consul/troubleshoot modules (1.15/1.16 do; 1.17+
// is BSL), so do not upgrade it.
package tools

import _ "github.com/hashicorp/consul"
