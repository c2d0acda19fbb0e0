// Try it: sends the operation's request from the browser to the gateway's own
// route (same origin, so no CORS and no vendor proxy) and shows the answer.
// Everything shown is set with textContent: nothing from a response becomes
// markup. A header the user adds is kept in sessionStorage only.
//
// The URL comes from the document (its server and operation path), so it is
// resolved the way fetch resolves it, with URL against this page's origin,
// and sent only if it stays there: "/\\host", "//host" or a tab or newline
// in between all name another host to a browser, whatever they start with.
(function () {
  "use strict";
  var form = document.getElementById("tryit");
  if (!form) return;
  var auth = form.querySelector("input[name=auth]");
  var key = "bulwark-header:" + form.dataset.service;
  auth.value = sessionStorage.getItem(key) || "";
  // One field per security scheme, kept like the header, per service.
  var creds = form.querySelectorAll("input[name=cred]");
  function credKey(el) { return "bulwark-cred:" + form.dataset.service + ":" + el.dataset.scheme; }
  creds.forEach(function (el) { el.value = sessionStorage.getItem(credKey(el)) || ""; });

  function request() {
    var path = form.dataset.path, query = [], headers = {};
    form.querySelectorAll("input[name=p]").forEach(function (el) {
      var v = el.value;
      if (v === "") return;
      if (el.dataset.in === "path") {
        path = path.split("{" + el.dataset.name + "}").join(encodeURIComponent(v));
      } else if (el.dataset.in === "query") {
        query.push(encodeURIComponent(el.dataset.name) + "=" + encodeURIComponent(v));
      } else {
        headers[el.dataset.name] = v;
      }
    });
    creds.forEach(function (el) {
      var v = el.value.trim();
      if (v === "") return;
      if (el.dataset.in === "query") query.push(encodeURIComponent(el.dataset.name) + "=" + encodeURIComponent(v));
      else headers[el.dataset.name] = el.dataset.prefix + v;
    });
    var h = auth.value.trim(), i = h.indexOf(":");
    if (i > 0) headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
    var url = form.dataset.server + path + (query.length ? "?" + query.join("&") : "");
    var body = form.querySelector("textarea[name=body]");
    var init = { method: form.dataset.method, headers: headers, credentials: "same-origin", redirect: "manual" };
    if (body && body.value.trim() !== "" && init.method !== "GET" && init.method !== "HEAD") {
      init.body = body.value;
      headers["Content-Type"] = "application/json";
    }
    return { url: url, init: init };
  }

  // onOrigin is the URL fetch would request for u from this page, or null
  // when that is on another origin (or no URL at all).
  function onOrigin(u) {
    try {
      var url = new URL(u, location.origin);
      return url.origin === location.origin ? url : null;
    } catch (e) { return null; }
  }

  // quote makes s one shell word, whatever quotes it holds.
  function quote(s) { return "'" + String(s).replace(/'/g, "'\\''") + "'"; }

  function curl(r) {
    var parts = ["curl -X " + r.init.method];
    Object.keys(r.init.headers).forEach(function (k) { parts.push("-H " + quote(k + ": " + r.init.headers[k])); });
    if (r.init.body) parts.push("--data " + quote(r.init.body));
    parts.push(quote((form.dataset.public || location.origin) + r.url));
    return parts.join(" ");
  }

  form.addEventListener("input", function () { document.getElementById("curl").textContent = curl(request()); });

  // The answer is read as it arrives, as Swagger UI's console does not but
  // a streaming endpoint needs: the status and headers as soon as they
  // come, then each chunk (a server-sent event, a chunk of a chunked body)
  // appended to the output, which keeps the last maxShown characters. Stop
  // aborts the request (AbortController), which ends it at the gateway and
  // the service too. A body that ends and is JSON is shown indented.
  var maxShown = 1 << 20;
  var stopButton = document.getElementById("stop");
  var running = null; // the AbortController of the request in flight
  stopButton.addEventListener("click", function () { if (running) running.abort(); });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    sessionStorage.setItem(key, auth.value);
    creds.forEach(function (el) { sessionStorage.setItem(credKey(el), el.value); });
    var r = request(), target = onOrigin(r.url);
    if (!target) {
      show("refused: " + JSON.stringify(r.url) + " leads off this gateway (" + location.origin + "); nothing was sent", null, "", "", "");
      return;
    }
    document.getElementById("curl").textContent = curl(r);
    if (running) running.abort(); // one request at a time: a new Send ends the last
    var ctl = new AbortController();
    running = ctl;
    r.init.signal = ctl.signal;
    var start = performance.now();
    stopButton.hidden = false;
    state("sending…");
    fetch(target.href, r.init).then(function (res) {
      var lines = [];
      res.headers.forEach(function (v, k) { lines.push(k + ": " + v); });
      show(res.status + " " + res.statusText, performance.now() - start, res.headers.get("Server-Timing") || "", lines.join("\n"), "");
      return readBody(res, ctl);
    }).catch(function (err) {
      if (ctl.signal.aborted) { // Stop before any answer, or a new Send, which shows its own
        if (running === ctl) state("stopped before an answer came");
        return;
      }
      show("failed: " + err.message, performance.now() - start, "", "", "");
    }).finally(function () {
      if (running === ctl) { running = null; stopButton.hidden = true; }
    });
  });

  // readBody appends the body to the output as it arrives.
  function readBody(res, ctl) {
    var out = document.getElementById("body");
    if (!res.body) { done(0, false); return Promise.resolve(); }
    var reader = res.body.getReader(), decoder = new TextDecoder(), text = "", dropped = 0, bytes = 0;
    var sse = /^text\/event-stream/i.test(res.headers.get("Content-Type") || "");
    state("receiving…");
    function append(s) {
      text += s;
      if (text.length > maxShown) { dropped += text.length - maxShown; text = text.slice(text.length - maxShown); }
      out.textContent = (dropped ? "… (" + dropped + " earlier characters not shown)\n" : "") + text;
    }
    function done(n, stopped) {
      if (!stopped && !sse && !dropped) {
        try { out.textContent = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON: as is */ }
      }
      state((stopped ? "stopped after " : "complete: ") + n + " bytes");
    }
    function next() {
      return reader.read().then(function (chunk) {
        if (chunk.done) { append(decoder.decode()); done(bytes, false); return; }
        bytes += chunk.value.byteLength;
        append(decoder.decode(chunk.value, { stream: true }));
        state("receiving… " + bytes + " bytes");
        return next();
      }, function (err) {
        if (ctl.signal.aborted) { done(bytes, true); return; }
        state("the answer broke off after " + bytes + " bytes: " + err.message);
      });
    }
    return next();
  }

  function state(s) { document.getElementById("state").textContent = s; }

  // split reads the gateway's Server-Timing ("gateway;dur=0.1, upstream;dur=3")
  // into where the time went; what neither accounts for is the network and
  // the browser.
  function split(timing, ms) {
    var parts = [], known = 0;
    timing.split(",").forEach(function (entry) {
      var m = /^\s*([\w-]+)\s*;.*\bdur=([\d.]+)/.exec(entry);
      if (!m) return;
      var d = parseFloat(m[2]);
      known += d;
      parts.push(m[1] + " " + d.toFixed(1) + " ms");
    });
    if (parts.length === 0) return "";
    parts.push("network and browser " + Math.max(0, ms - known).toFixed(1) + " ms");
    return "(" + parts.join(" · ") + ")";
  }

  function show(status, ms, timing, headers, body) {
    document.getElementById("status").textContent = status;
    document.getElementById("elapsed").textContent = ms === null ? "" : "in " + Math.round(ms) + " ms";
    document.getElementById("timing").textContent = ms === null ? "" : split(timing, ms);
    document.getElementById("headers").textContent = headers;
    document.getElementById("body").textContent = body;
    document.getElementById("state").textContent = "";
    document.getElementById("result").hidden = false;
  }
})();
