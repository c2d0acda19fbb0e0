package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"
	"time"

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
    # Every request and response is checked against the pets document and
    # counted; PUT /_demo/fault?mode=drift on an instance makes its answers
    # drop a required field, and the portal's operation pages say so.
    validate: {requests: report, responses: report, sample: 100%}
  orders:
    balancer: round_robin
  library:
    balancer: consistent_hash
    hash_on: header:X-User
`))

// demoUsage is `bulwark demo --help`: every flag, and what the demo starts.
const demoUsage = `Usage: bulwark demo [--http ADDR] [--https ADDR] [--admin ADDR] [--data DIR]

Runs the gateway with three sample services (pets, orders, library) on free
loopback ports, static discovery, a self-signed certificate for localhost, and
the documentation portal at /portal/. No config file is needed. Everything it
prints goes to stderr, logs included (as Caddy does).

Flags:
`

// cmdDemo starts the sample services and the gateway in front of them.
//
// Everything a person reads at start (the admin token, the certificate's
// fingerprint, the "running" banner) goes to stderr with the logs, in the
// order it happens, as Caddy does: stdout stays empty, so nothing is split
// between two streams or lost when only one is captured. The banner comes
// only once every listener is bound, so a taken port fails first, naming the
// port and the flag that moves it.
func cmdDemo(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), demoUsage)
		fs.PrintDefaults()
	}
	httpAddr := fs.String("http", "127.0.0.1:8080", "gateway listen address")
	adminAddr := fs.String("admin", "127.0.0.1:9901", "admin listen address")
	httpsAddr := fs.String("https", "127.0.0.1:8443", "HTTPS listen address, with a self-signed certificate for localhost (\"\" disables it)")
	dataDir := fs.String("data", defaultDataDir(), "folder for the self-signed certificate, reused across runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("demo takes no arguments, only flags: %q", fs.Args())
	}
	listeners := []demoListener{{"--http", *httpAddr}, {"--https", *httpsAddr}, {"--admin", *adminAddr}}
	if err := checkFree(listeners); err != nil {
		return err
	}
	fleet, err := demo.Start(ctx, newLogger(stderr, "text", nil))
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

	served := make(chan error, 1)
	go func() { served <- rt.serve(ctx, nil, nil) }()
	waitCtx, cancelWait := context.WithCancel(ctx)
	up := make(chan bool, 1)
	go func() { up <- waitListening(waitCtx, listeners) }()
	select {
	case err := <-served: // it never got to serve: a port taken since checkFree, say
		cancelWait()
		<-up
		return explainTaken(err, listeners)
	case ok := <-up:
		cancelWait()
		if ok {
			printDemoBanner(stderr, *httpAddr, *httpsAddr, *adminAddr, fleet)
		}
	}
	return explainTaken(<-served, listeners)
}

// demoListener is one listener the demo binds, and the flag that moves it.
type demoListener struct{ flag, addr string }

// checkFree binds and releases every address, so a taken port is reported
// before anything starts, naming the flag that moves it.
func checkFree(ls []demoListener) error {
	for _, l := range ls {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			return takenError(l, err)
		}
		_ = ln.Close()
	}
	return nil
}

func takenError(l demoListener, err error) error {
	_, port, _ := net.SplitHostPort(l.addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("port %s is taken by another program (%s %s): stop that program, or move the demo with %s ADDR\n(%w)",
			port, l.flag, l.addr, l.flag, err)
	}
	return fmt.Errorf("cannot listen on %s (%s): %w", l.addr, l.flag, err)
}

// explainTaken names the flag when serve failed on a taken port anyway (it
// was taken between checkFree and serve).
func explainTaken(err error, ls []demoListener) error {
	if !errors.Is(err, syscall.EADDRINUSE) {
		return err
	}
	for _, l := range ls {
		if l.addr != "" && strings.Contains(err.Error(), l.addr) {
			return takenError(l, err)
		}
	}
	return fmt.Errorf("%w\n(another program has the port: move the demo with --http, --https and --admin ADDR)", err)
}

// waitListening reports true once the plain-TCP listeners accept
// connections, false if ctx ends first. serve binds every listener before it
// serves any, so these answering means the HTTPS one is bound too; it is not
// dialled itself, since a bare connection to it logs a TLS handshake error.
func waitListening(ctx context.Context, ls []demoListener) bool {
	d := net.Dialer{Timeout: time.Second}
	for _, l := range ls {
		if _, port, _ := net.SplitHostPort(l.addr); l.addr == "" || port == "0" || l.flag == "--https" {
			continue // a port the system picks cannot be dialled from here
		}
		for {
			c, err := d.DialContext(ctx, "tcp", l.addr)
			if err == nil {
				_ = c.Close()
				break
			}
			select {
			case <-ctx.Done():
				return false
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return true
}

func printDemoBanner(w io.Writer, httpAddr, httpsAddr, adminAddr string, fleet *demo.Fleet) {
	fmt.Fprintf(w, "\nbulwark demo is running.\n\n")
	fmt.Fprintf(w, "  gateway   http://%s\n", httpAddr)
	if httpsAddr != "" {
		fmt.Fprintf(w, "            https://%s  (self-signed for localhost: curl -k, or trust the certificate printed above)\n", httpsAddr)
	}
	fmt.Fprintf(w, "  portal    http://%s/portal/  (every API, try it, the HAL browser, the system map)\n", httpAddr)
	fmt.Fprintf(w, "  admin     http://%s  (/healthz /readyz /metrics; /api/v1/... needs the admin token printed above)\n\n", adminAddr)
	for _, s := range fleet.Services {
		fmt.Fprintf(w, "  %-8s  curl http://%s%s   (instances %s)\n", s.Name, httpAddr, s.Route, strings.Join(s.Instances, ", "))
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
