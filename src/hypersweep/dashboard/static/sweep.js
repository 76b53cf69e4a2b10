// The sweep page: the run table, the charts, and a refresh every few seconds while the
// sweep runs (it polls the summary and reloads the rest only when the sweep changed).
(function () {
  "use strict";

  const HS = window.HS;
  const POLL_MILLISECONDS = 2000;
  const page = document.getElementById("sweep-page");
  const runId = page.dataset.runId;
  const api = "/api/sweeps/" + encodeURIComponent(runId);
  let tableVersion = page.dataset.version;
  let chartsVersion = page.dataset.version;

  function initialQuery() {
    const params = new URLSearchParams(window.location.search);
    const query = {};
    ["sort", "order", "status", "param", "value", "score"].forEach(function (key) {
      if (params.get(key)) { query[key] = params.get(key); }
    });
    ["page", "page_size"].forEach(function (key) {
      if (params.get(key)) { query[key] = Number(params.get(key)); }
    });
    return query;
  }

  const table = new HS.RunsTable(document.getElementById("runs-table"), {
    columns: JSON.parse(page.dataset.columns),
    metric: page.dataset.metric,
    source: HS.remoteSource(api + "/runs"),
    runHref: HS.runHref,
    query: initialQuery(),
    onQuery: function (query) {
      // The address keeps the view, so reload and back return to the same page of runs.
      const search = HS.queryString(query);
      window.history.replaceState(null, "", search ? "?" + search : window.location.pathname);
    },
  });
  const charts = new HS.SweepCharts({ runHref: HS.runHref });

  let chartsLoadedAt = 0;
  let chartsMilliseconds = 0;

  async function loadCharts() {
    const started = Date.now();
    const importance = HS.getJSON(api + "/importance");
    try {
      await charts.render(await HS.getJSON(api + "/charts"));
    } catch (error) {
      HS.showError(document.getElementById("chart-curves"), "Cannot load the charts: " + error.message);
    }
    try {
      charts.renderImportance(await importance);
    } catch (error) {
      HS.showError(document.getElementById("chart-importance"), "Cannot compute the importance: " + error.message);
    }
    chartsLoadedAt = Date.now();
    chartsMilliseconds = chartsLoadedAt - started;
  }

  // While the sweep runs, the charts are redrawn at most once per three times their last
  // drawing took (the table on every change), so a large sweep does not keep the browser busy.
  // The final state of an ended sweep is always drawn.
  function chartsDue() {
    return Date.now() - chartsLoadedAt >= Math.max(POLL_MILLISECONDS, 3 * chartsMilliseconds);
  }

  function showSummary(summary) {
    const status = document.getElementById("sweep-status");
    status.textContent = summary.status;
    status.className = HS.statusClass(summary.status);
    HS.setText("sweep-end-reason", summary.end_reason);
    const bar = document.getElementById("sweep-progress-bar");
    bar.max = summary.max_total_runs || 1;
    bar.value = summary.done;
    HS.setText("sweep-progress-text", summary.done + "/" + summary.max_total_runs + " runs done");
    HS.setText("sweep-counts", Object.keys(summary.counts).filter(function (key) {
      return summary.counts[key];
    }).map(function (key) { return key + " " + summary.counts[key]; }).join(" · "));
    const best = document.getElementById("sweep-best");
    if (summary.best_child_id) {
      best.replaceChildren(
        HS.el("a", { className: "run-link", href: HS.runHref(summary.best_child_id), text: summary.best_child_id }),
        ": " + summary.metric + " = " + summary.best_score_text);
    } else {
      best.textContent = "none yet";
    }
    HS.setText("sweep-duration", summary.duration_text);
    HS.setText("updated", summary.updated);
    const warnings = document.getElementById("sweep-warnings");
    warnings.replaceChildren.apply(warnings, summary.warnings.map(function (warning) {
      return HS.el("li", { text: warning });
    }));
  }

  async function poll() {
    let summary;
    try {
      summary = await HS.getJSON(api);
    } catch (error) {
      HS.setText("refresh-state", "(refresh failed: " + error.message + "; retrying)");
      window.setTimeout(poll, POLL_MILLISECONDS * 2);
      return;
    }
    HS.setText("refresh-state", "");
    showSummary(summary);
    if (summary.version !== tableVersion) {
      tableVersion = summary.version;
      await table.load();
    }
    if (summary.version !== chartsVersion && (chartsDue() || summary.is_terminal)) {
      chartsVersion = summary.version;
      await loadCharts();
    }

    // The last refresh of an ended sweep has drawn everything; then polling stops.
    const terminal = summary.is_terminal && chartsVersion === summary.version;
    page.dataset.terminal = terminal ? "true" : "false";
    page.dataset.version = summary.version;
    if (terminal) {
      HS.setText("refresh-state", "(the sweep has ended; no more refreshes)");
    } else {
      window.setTimeout(poll, POLL_MILLISECONDS);
    }
  }

  Promise.all([table.load(), loadCharts()]).then(function () {
    page.dataset.ready = "true";
    if (page.dataset.terminal !== "true") {
      window.setTimeout(poll, POLL_MILLISECONDS);
    }
  });
})();
