package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"text/template"

	"github.com/bulwark-gw/bulwark/demo"
)

// demoConfig is the embedded default: the sample services behind the gateway. It
// goes through the same loader and validation as a user's file, so the demo can
// never drift from what `bulwark serve` accepts.
var demoConfig = template.Must(template.New("demo").Parse(`# bulwark demo: generated at start with the sample services' ports.
listen:
  http: "{{.HTTP}}"
{{- if .HTTPS}}
  https: "{{.HTTPS}}"
tls:
  dev: true
  data_dir: "{{.Data}}"
{{- end}}
admin:
  listen: "{{.Admin}}"
log:
  level: info
discovery:
  static:
{{- range .Services}}
    - service: {{.Name}}
      instances:
{{- range .Instances}}
        - "{{.}}"
{{- end}}
{{- end}}
routes:
{{- range .Services}}
  - path: {{.Route}}
    service: {{.Name}}
{{- if .StripPrefix}}
    strip_prefix: true
{{- end}}
{{- end}}
defaults:
  timeout: 15s
# The demo runs on loopback for one person: its portal shows the instances'
# addresses, where the fault endpoint (PUT /_demo/fault) is sent.
portal:
  instances: shown
services:
  pets:
    balancer: least_request
  orders:
    balancer: round_robin
  library:
    balancer: consistent_hash
    hash_on: header:X-User
`))

// cmdDemo starts the sample services and the gateway in front of them.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http", "127.0.0.1:8080", "gateway listen address")
	adminAddr := fs.String("admin", "127.0.0.1:9901", "admin listen address")
	httpsAddr := fs.String("https", "127.0.0.1:8443", "HTTPS listen address, with a self-signed certificate for localhost (\"\" disables it)")
	dataDir := fs.String("data", defaultDataDir(), "folder for the self-signed certificate, reused across runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fleet, err := demo.Start(ctx, nil)
	if err != nil {
		return fmt.Errorf("starting the sample services: %w", err)
	}
	defer fleet.Close()

	var buf bytes.Buffer
	if err := demoConfig.Execute(&buf, map[string]any{
		"HTTP": *httpAddr, "HTTPS": *httpsAddr, "Data": *dataDir, "Admin": *adminAddr, "Services": fleet.Services,
	}); err != nil {
		return err
	}
	f, err := parseConfig("demo (embedded)", buf.Bytes())
	if err != nil {
		return fmt.Errorf("the demo configuration is invalid (a bug):\n%w", err)
	}
	rt, err := newRuntime(f, "demo (embedded)", stderr)
	if err != nil {
		return err
	}
	defer rt.accessOut.Close()
	printDemoBanner(stdout, *httpAddr, *httpsAddr, *adminAddr, fleet)
	err = rt.serve(ctx, nil, nil)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w\n(another program has the port: move the demo with --http, --https and --admin ADDR)", err)
	}
	return err
}

func printDemoBanner(w io.Writer, httpAddr, httpsAddr, adminAddr string, fleet *demo.Fleet) {
	fmt.Fprintf(w, "\nbulwark demo is running.\n\n")
	fmt.Fprintf(w, "  gateway   http://%s\n", httpAddr)
	if httpsAddr != "" {
		fmt.Fprintf(w, "            https://%s  (self-signed for localhost: curl -k, or trust the certificate printed above)\n", httpsAddr)
	}
	fmt.Fprintf(w, "  portal    http://%s/portal/  (every API, try it, the HAL browser, the system map)\n", httpAddr)
	fmt.Fprintf(w, "  admin     http://%s  (/healthz /readyz /metrics; /api/v1/... needs the token above)\n\n", adminAddr)
	for _, s := range fleet.Services {
		fmt.Fprintf(w, "  %-8s  curl http://%s%s   (instances %v)\n", s.Name, httpAddr, s.Route, s.Instances)
	}
	fmt.Fprintf(w, "\nPress Ctrl-C to stop.\n")
}

// defaultDataDir is where the demo keeps its self-signed certificate.
func defaultDataDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "bulwark")
	}
	return filepath.Join(os.TempDir(), "bulwark")
}
