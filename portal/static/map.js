// The system map refreshes itself from map.json every two seconds. It builds
// the page with DOM calls and textContent only: nothing from the server
// becomes markup.
(function () {
  "use strict";
  var root = document.getElementById("map");
  if (!root) return;
  var base = root.dataset.src.replace(/\/map\.json$/, "");
  // Only ever this origin: the map's URL and the links it builds.
  function onOrigin(u) {
    try { return new URL(u, location.origin).origin === location.origin; } catch (e) { return false; }
  }
  if (!onOrigin(root.dataset.src)) return;

  function render(services) {
    root.replaceChildren();
    services.forEach(function (s) {
      var sec = document.createElement("section");
      sec.className = "svc" + (s.breaker === "open" ? " open" : "");
      sec.dataset.name = s.name;
      var h = document.createElement("h2"), a = document.createElement("a");
      var href = base + "/services/" + encodeURIComponent(s.name);
      if (onOrigin(href)) a.href = href;
      a.textContent = s.name;
      h.appendChild(a);
      if (s.breaker) {
        var b = document.createElement("span");
        b.className = "breaker " + s.breaker.replace(/[^a-z_]/g, "");
        b.textContent = " breaker " + s.breaker;
        h.appendChild(b);
      }
      var p = document.createElement("p");
      (s.instances || []).forEach(function (i) {
        var d = document.createElement("span");
        d.className = "dot " + (i.ejected ? "out" : "ok");
        d.title = (i.addr ? i.addr + ": " : "") + i.in_flight + " in flight";
        p.appendChild(d);
      });
      if (!s.instances || s.instances.length === 0) p.textContent = "no instance";
      sec.appendChild(h);
      sec.appendChild(p);
      root.appendChild(sec);
    });
    root.dataset.updated = String(Date.now());
  }

  function poll() {
    fetch(root.dataset.src, { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(render)
      .catch(function () { /* keep the last picture; try again */ })
      .finally(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 2000);
})();
