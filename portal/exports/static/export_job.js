// The export job page: asks for the job's progress every 2 s and reloads the page once the
// job has finished (it then shows the download link). Without scripts, the "Refresh" link does.
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var progress = document.getElementById("export-progress");
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        if (state.status !== "queued" && state.status !== "running") {
          window.location.reload();
          return;
        }
        if (progress && state.rows_total) {
          progress.textContent = state.rows_done + " / " + state.rows_total;
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
