// Search as you type: the header's search box asks the catalog's API
// ({base}/api/search) as you type and lists what matches under it; Enter
// still submits the form to the server-rendered search page. "/" focuses
// the box; arrow keys walk the results. Results are built with DOM calls
// and textContent.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var base = form.getAttribute("action").replace(/\/search$/, "");
  // Only ever this origin: the API it asks and the links it builds.
  function onOrigin(u) {
    try { return new URL(u, location.origin).origin === location.origin; } catch (e) { return false; }
  }
  if (!onOrigin(base + "/api/search")) return;
  var list = document.createElement("ul");
  list.id = "suggest";
  list.hidden = true;
  form.appendChild(list);
  var timer, seq = 0;

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 120);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") list.hidden = true;
    if (ev.key === "ArrowDown" && !list.hidden && list.firstChild) {
      ev.preventDefault();
      list.firstChild.firstChild.focus();
    }
  });
  // In the list: arrows move between results, Escape goes back to the box.
  list.addEventListener("keydown", function (ev) {
    var li = ev.target.parentNode, next = null;
    if (ev.key === "ArrowDown") next = li.nextSibling;
    else if (ev.key === "ArrowUp") next = li.previousSibling;
    else if (ev.key === "Escape") { list.hidden = true; input.focus(); ev.preventDefault(); return; }
    else return;
    ev.preventDefault();
    if (next) next.firstChild.focus();
    else if (ev.key === "ArrowUp") input.focus();
  });
  // "/" anywhere but in a field jumps to the search box, as on GitHub.
  document.addEventListener("keydown", function (ev) {
    var tag = (ev.target.tagName || "").toLowerCase();
    if (ev.key === "/" && tag !== "input" && tag !== "textarea" && tag !== "select" && !ev.target.isContentEditable) {
      ev.preventDefault();
      input.focus();
    }
  });

  function ask() {
    var q = input.value.trim(), mine = ++seq;
    if (q.length < 2) { list.hidden = true; return; }
    fetch(base + "/api/search?q=" + encodeURIComponent(q))
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (hits) {
        if (mine !== seq) return; // an older answer arriving late
        list.replaceChildren();
        (hits || []).slice(0, 12).forEach(function (h) {
          var li = document.createElement("li"), a = document.createElement("a");
          var svc = encodeURIComponent(h.service);
          var href = h.kind === "operation" ? base + "/services/" + svc + "/operations/" + encodeURIComponent(h.slug)
            : base + "/services/" + svc;
          if (!onOrigin(href)) return;
          a.href = href;
          a.textContent = (h.method ? h.method + " " + h.path : h.slug) + " — " + h.service;
          li.appendChild(a);
          list.appendChild(li);
        });
        list.hidden = list.children.length === 0;
      })
      .catch(function () { list.hidden = true; });
  }
})();
