package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"
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
	f, err := loadConfig(abs)
	if err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	rt, err := newRuntime(f, abs, stderr)
	if err != nil {
		return err
	}
	defer rt.accessOut.Close()
	rt.log.Info("bulwark starting", "version", versionString(), "config", abs)

	reload := make(chan struct{}, 1)
	watchCtx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := watchConfig(watchCtx, abs, reload, rt.log); err != nil {
			rt.log.Error("watching the config file failed; SIGHUP still reloads", "err", err)
		}
	}()
	err = rt.serve(ctx, reload, func() { rt.reloadFrom(abs) })
	stopWatch()
	wg.Wait()
	return err
}

// reloadFrom reads the file again and applies it whole, or not at all: a file with
// any problem is rejected with every problem logged, and the running configuration
// keeps serving. Listener addresses cannot move without a restart.
func (rt *process) reloadFrom(path string) {
	start := time.Now()
	f, err := loadConfig(path)
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
		rt.log.Error("config reload rejected; the previous configuration keeps serving", "file", path, "problems", err.Error())
		return
	}
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
