package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// bulwark is the real gateway binary, run as `bulwark serve -c FILE`, so the
// pages measured come from the same code path, config and catalog refresh as
// in production, not from an in-process handler.
type bulwark struct {
	cmd       *exec.Cmd
	log       string
	done      chan struct{}
	base      string // http://127.0.0.1:PORT, the client listener
	adminAddr string
}

// freeAddrs returns n loopback addresses that were free a moment ago.
func freeAddrs(n int) ([]string, error) {
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		out = append(out, l.Addr().String())
	}
	return out, nil
}

// startBulwark writes the config into dir and starts the binary. The child
// gets SIGKILL if this program dies without stopping it (Pdeathsig; main
// keeps its goroutine on one thread for that).
func startBulwark(bin, dir, upstream string) (*bulwark, error) {
	addrs, err := freeAddrs(2)
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "bulwark.yaml")
	if err := os.WriteFile(cfg, []byte(bulwarkConfig(addrs[0], addrs[1], upstream)), 0o600); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "bulwark.log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "-c", cfg)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting bulwark: %w", err)
	}
	b := &bulwark{cmd: cmd, log: logPath, done: make(chan struct{}), base: "http://" + addrs[0], adminAddr: addrs[1]}
	go func() { _ = cmd.Wait(); f.Close(); close(b.done) }()
	return b, nil
}

// waitReady waits until the admin listener's /readyz answers 200.
func (b *bulwark) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := getOK(ctx, "http://"+b.adminAddr+"/readyz")
		if err == nil {
			return nil
		}
		select {
		case <-b.done:
			return fmt.Errorf("bulwark exited at start: %s", b.tail(20))
		case <-ctx.Done():
			return fmt.Errorf("bulwark not ready within %v: %v; log: %s", timeout, err, b.tail(20))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM, then SIGKILL after 5 s.
func (b *bulwark) stop() {
	if b == nil {
		return
	}
	select {
	case <-b.done:
		return
	default:
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
}

// tail is the end of bulwark's log, on one line.
func (b *bulwark) tail(lines int) string {
	data, err := os.ReadFile(b.log)
	if err != nil {
		return "(no log)"
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, " | ")
}
