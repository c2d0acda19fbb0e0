package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/bulwark-gw/bulwark/config"
)

// cmdServe runs the gateway from a config file until SIGINT/SIGTERM.
func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("c", "bulwark.yaml", "config file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	abs, err := filepath.Abs(*path)
	if err != nil {
		return err
	}
	f, warnings, err := loadConfig(abs)
	if err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	rt, err := newRuntime(f, abs, stderr)
	if err != nil {
		return err
	}
	defer rt.accessOut.Close()
	rt.log.Info("bulwark starting", "version", versionString(), "config", abs)
	logWarnings(rt.log, warnings)

	reload := make(chan struct{}, 1)
	watchCtx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := watchConfig(watchCtx, abs, rt.namedFiles, reload, rt.log); err != nil {
			rt.log.Error("watching the config file failed; SIGHUP still reloads", "err", err)
		}
	}()
	err = rt.serve(ctx, reload, func() { rt.reloadFrom(abs) })
	stopWatch()
	wg.Wait()
	return err
}

// namedFiles are the files the applied configuration reads its content
// from besides its own (consumers_file), as absolute paths.
func (rt *process) namedFiles() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.current == nil || rt.current.ConsumersFile == "" {
		return nil
	}
	return []string{rt.current.ConsumersFilePath()}
}

// reloadFrom reads the file again and applies it whole, or not at all: a file with
// any problem is rejected with every problem logged, and the running configuration
// keeps serving. Listener addresses cannot move without a restart.
func (rt *process) reloadFrom(path string) {
	start := time.Now()
	f, warnings, err := loadConfig(path)
	var notes []string
	if err == nil {
		notes = rt.restartOnly(f)
		err = rt.apply(f)
	}
	rt.mu.Lock()
	rt.status.LastReload = start
	if err != nil {
		rt.status.LastResult = "rejected"
		rt.status.LastProblems = splitLines(err.Error())
		rt.mu.Unlock()
		rt.metrics.reloads.WithLabelValues("failure").Inc()
		rt.metrics.lastOK.Set(0)
		logRejected(rt.log, path, err)
		return
	}
	logWarnings(rt.log, warnings)
	rt.status.LastResult = "applied"
	rt.status.LastProblems = notes
	rt.status.LoadedAt = start
	rt.mu.Unlock()
	rt.metrics.reloads.WithLabelValues("success").Inc()
	rt.metrics.lastOK.Set(1)
	rt.metrics.lastSuccess.SetToCurrentTime()
	for _, n := range notes {
		rt.log.Warn("config reloaded with a change that needs a restart", "note", n)
	}
	rt.log.Info("config reloaded", "file", path, "took", time.Since(start))
}

// logRejected logs a rejected reload one problem per line, its position
// ("at": file:line:column) and its reason as separate attributes, so that a
// log pipeline can search, count and link them (and nothing is escaped into
// one long value); then one summary line with the count.
func logRejected(log *slog.Logger, path string, err error) {
	var ps config.Problems
	if !errors.As(err, &ps) {
		log.Error("config reload rejected; the previous configuration keeps serving", "file", path, "err", err)
		return
	}
	for _, p := range ps {
		log.Error("config problem", "at", problemAt(p), "reason", p.Msg)
	}
	log.Error("config reload rejected; the previous configuration keeps serving", "file", path, "problems", len(ps))
}

// logWarnings logs what check prints as warnings (a certificate that expires
// soon), one per line, in the shape of logRejected's problems.
func logWarnings(log *slog.Logger, ws config.Problems) {
	for _, w := range ws {
		log.Warn("config warning", "at", problemAt(w), "reason", w.Msg)
	}
}

// problemAt is a problem's position alone: "file:line:column", or as much of
// it as is known.
func problemAt(p config.Problem) string {
	p.Msg = ""
	return strings.TrimSuffix(strings.TrimSpace(p.String()), ":")
}
