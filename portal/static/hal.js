// The HAL browser: loads a resource through the gateway (same origin), shows
// its properties, links (templated ones get a form), embedded resources and
// HAL-FORMS templates (as forms that send their method). Everything shown is
// built with DOM calls and textContent; only links on this origin are
// followed, anything else (another host, javascript:, data:) is shown as text.
(function () {
  "use strict";
  var root = document.getElementById("hal");
  if (!root) return;
  var $ = function (id) { return document.getElementById(id); };

  // sameOrigin returns the path of an href on this origin, or "".
  function sameOrigin(href) {
    try {
      var u = new URL(href, location.href);
      return u.origin === location.origin && (u.protocol === "http:" || u.protocol === "https:") ? u.pathname + u.search : "";
    } catch (e) { return ""; }
  }

  // expand is RFC 6570 for the forms the HAL browser offers: {var}, {/var}
  // and {?a,b} / {&a,b}.
  function expand(t, vars) {
    return t.replace(/\{([?&\/]?)([^}]+)\}/g, function (_, op, names) {
      var parts = names.split(",").map(function (n) { return n.trim(); }).filter(function (n) { return vars[n]; });
      if (op === "?" || op === "&") {
        return parts.length ? op + parts.map(function (n) { return encodeURIComponent(n) + "=" + encodeURIComponent(vars[n]); }).join("&") : "";
      }
      return parts.map(function (n) { return (op === "/" ? "/" : "") + encodeURIComponent(vars[n]); }).join(op === "/" ? "" : ",");
    });
  }
  function varsOf(t) {
    var out = [];
    (t.match(/\{[?&\/]?([^}]+)\}/g) || []).forEach(function (m) {
      m.replace(/^\{[?&\/]?|\}$/g, "").split(",").forEach(function (n) { out.push(n.trim()); });
    });
    return out;
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function linkItem(rel, l) {
    var li = el("li");
    li.appendChild(el("code", rel));
    li.appendChild(document.createTextNode(" "));
    var path = sameOrigin(l.href || "");
    if (l.templated && path !== "" || l.templated && sameOrigin((l.href || "").replace(/\{[^}]*\}/g, "")) !== "") {
      var f = el("form", undefined, "templated");
      varsOf(l.href).forEach(function (n) {
        var lab = el("label", n + " ");
        var i = el("input");
        i.name = n;
        lab.appendChild(i);
        f.appendChild(lab);
      });
      var b = el("button", "Follow " + (l.title || rel));
      b.type = "submit";
      f.appendChild(b);
      f.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var vars = {};
        f.querySelectorAll("input").forEach(function (i) { vars[i.name] = i.value; });
        var target = sameOrigin(expand(l.href, vars));
        if (target) load(target);
      });
      li.appendChild(f);
    } else if (path !== "") {
      var a = el("a", l.title || l.href);
      a.href = "#" + path;
      a.addEventListener("click", function (ev) { ev.preventDefault(); load(path); });
      li.appendChild(a);
    } else {
      li.appendChild(el("span", (l.href || "") + " (not followed: not on this gateway)", "unsafe"));
    }
    return li;
  }

  function render(path, status, doc) {
    $("location").textContent = path;
    $("hal-status").textContent = status;
    var props = {};
    Object.keys(doc).forEach(function (k) { if (k.charAt(0) !== "_") props[k] = doc[k]; });
    $("properties").textContent = JSON.stringify(props, null, 2);
    var links = $("links");
    links.replaceChildren();
    Object.keys(doc._links || {}).forEach(function (rel) {
      if (rel === "curies") return;
      [].concat(doc._links[rel]).forEach(function (l) { links.appendChild(linkItem(rel, l || {})); });
    });
    var emb = $("embedded");
    emb.replaceChildren();
    Object.keys(doc._embedded || {}).forEach(function (rel) {
      [].concat(doc._embedded[rel]).forEach(function (r) {
        var self = r && r._links && r._links.self ? [].concat(r._links.self)[0] : null;
        emb.appendChild(linkItem(rel, { href: self ? self.href : "", title: (r && (r.title || r.name)) || rel }));
      });
    });
    var forms = $("forms");
    forms.replaceChildren();
    Object.keys(doc._templates || {}).forEach(function (name) {
      var t = doc._templates[name] || {};
      var method = String(t.method || "GET").toUpperCase();
      var target = sameOrigin(t.target || path);
      var f = el("form", undefined, "hal-form");
      f.appendChild(el("h3", (t.title || name) + " (" + method + ")"));
      (t.properties || []).forEach(function (p) {
        var lab = el("label", (p.prompt || p.name) + (p.required ? " *" : "") + " ");
        var i = el("input");
        i.name = p.name;
        if (p.value !== undefined) i.value = p.value;
        lab.appendChild(i);
        f.appendChild(lab);
      });
      var b = el("button", "Send");
      b.type = "submit";
      f.appendChild(b);
      f.addEventListener("submit", function (ev) {
        ev.preventDefault();
        if (!target) return;
        var body = {};
        f.querySelectorAll("input").forEach(function (i) { if (i.value !== "") body[i.name] = i.value; });
        load(target, method, JSON.stringify(body));
      });
      forms.appendChild(f);
    });
    root.dataset.loaded = path;
  }

  function load(path, method, body) {
    path = sameOrigin(path || "");
    if (!path) { $("hal-status").textContent = "refused: not on this gateway"; return; }
    var init = { method: method || "GET", headers: { Accept: "application/hal+json, application/prs.hal-forms+json, application/json" } };
    if (body) { init.body = body; init.headers["Content-Type"] = "application/json"; }
    fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var doc = {};
        try { doc = JSON.parse(text); } catch (e) { doc = { body: text }; }
        render(path, res.status + " " + res.statusText, doc && typeof doc === "object" ? doc : { body: doc });
      });
    }).catch(function (err) { $("hal-status").textContent = "failed: " + err.message; });
  }

  load(root.dataset.start);
})();
