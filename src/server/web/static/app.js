// respack reference org: the pages' one script (served from /static, as the CSP allows no
// inline script). Without it every page still works as plain HTML forms and links; with it:
// - a form marked `data-inplace` (the Import Settings upload) is sent with fetch and the answer
//   (the preview the server redirects to) replaces the page's content in place, with its
//   address in the history, instead of a full navigation: the body element stays, so a reader
//   holding it (a WebDriver test waiting for the preview's text) never sees the document
//   swapped under it. Forms whose next step is a click (actions, artifacts) navigate as usual,
//   so WebDriver waits for the new page before it looks for what to click;
// - while an action runs, its status is polled and the incident page reloaded when the
//   workflows have finished;
// - the chosen file's name shows on Import Settings; one "..." menu is open at a time.
"use strict";

function withoutHash(url) { return url.split("#")[0]; }

// The address (without its fragment) of what the page shows now.
var shown = withoutHash(location.href);

function show(html, url, push) {
  var doc = new DOMParser().parseFromString(html, "text/html");
  document.title = doc.title;
  // The body element itself stays: only its content and attributes are replaced.
  document.body.className = doc.body.className;
  document.body.replaceChildren.apply(document.body, Array.prototype.slice.call(doc.body.childNodes));
  if (push && url && url !== location.href) { history.pushState(null, "", url); }
  shown = withoutHash(location.href);
  var target = location.hash && document.getElementById(location.hash.slice(1));
  if (target) { target.scrollIntoView(); } else { window.scrollTo(0, 0); }
  wire();
}

function load(url, options, push) {
  return fetch(url, Object.assign({ credentials: "same-origin", cache: "no-store" }, options || {}))
    .then(function (r) { return r.text().then(function (t) { show(t, r.url, push); }); });
}

function submitInPlace(form, submitter) {
  var data = new FormData(form, submitter || null);
  var multipart = (form.getAttribute("enctype") || "").indexOf("multipart/") === 0;
  var busy = form.querySelectorAll("button");
  busy.forEach(function (b) { b.disabled = true; });
  load(form.action, { method: "POST", body: multipart ? data : new URLSearchParams(data) }, true)
    .catch(function () {
      // The network failed: fall back to the browser's own submission.
      busy.forEach(function (b) { b.disabled = false; });
      form.submit();
    });
}

function wire() {
  var file = document.getElementById("import-file");
  var label = document.getElementById("import-file-name");
  if (file && label) {
    file.addEventListener("change", function () {
      label.textContent = file.files.length ? file.files[0].name : "No file selected";
    });
  }
  var run = document.querySelector("[data-poll]");
  if (run) {
    // The server holds the poll until the run ends (or ~20 s), so this asks again at once.
    var url = run.getAttribute("data-poll") + "?wait=1";
    var poll = function () {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : { state: "ended" }; })
        .then(function (s) {
          if (s.state === "running") { poll(); } else { location.reload(); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    poll();
  }
}

document.addEventListener("DOMContentLoaded", function () {
  wire();
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute("data-inplace") || !window.fetch) { return; }
    e.preventDefault();
    submitInPlace(form, e.submitter);
  });
  // Back and forward across an in-place answer load that page; a fragment change (the tabs are
  // in-page links, and Chrome fires popstate for them too) leaves the page alone.
  window.addEventListener("popstate", function () {
    if (withoutHash(location.href) === shown) { return; }
    load(location.href).catch(function () { location.reload(); });
  });
  // One open menu at a time, closed by a click elsewhere.
  document.addEventListener("click", function (e) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (!d.contains(e.target)) { d.removeAttribute("open"); }
    });
  });
});
