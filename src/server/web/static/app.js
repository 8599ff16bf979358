// respack reference org: the pages' one script (served from /static, as the CSP allows no
// inline script). Two small jobs: show the chosen file's name on Import Settings, and, while an
// action runs, poll its status and reload the incident page when the workflows have finished.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
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
  // One open menu at a time, closed by a click elsewhere.
  document.addEventListener("click", function (e) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (!d.contains(e.target)) { d.removeAttribute("open"); }
    });
  });
});
