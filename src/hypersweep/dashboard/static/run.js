// A child run's page: its metric charts, refreshed with its status and log while it runs.
(function () {
  "use strict";

  const HS = window.HS;
  const POLL_MILLISECONDS = 2000;
  const page = document.getElementById("run-page");
  const api = "/api/runs/" + encodeURIComponent(page.dataset.runId);
  let version = page.dataset.version;

  function drawFigures(figures) {
    const grid = document.getElementById("run-charts");
    const holders = Array.from(grid.children);
    figures.forEach(function (figure, index) {
      let holder = holders[index];
      if (!holder) {
        holder = HS.el("div", { className: "chart", id: "run-chart-" + index });
        grid.appendChild(holder);
      }
      HS.plot(holder, figure);
    });
  }

  function showRun(run) {
    const status = document.getElementById("run-status");
    status.textContent = run.status;
    status.className = HS.statusClass(run.status);
    HS.setText("run-reason", run.reason);
    HS.setText("run-score", run.score_text);
    HS.setText("run-ended", run.ended);
    HS.setText("run-duration", run.duration_text);
    HS.setText("run-exit-code", run.exit_code);
    HS.setText("run-log", run.log_tail);
    const body = document.querySelector("#run-metrics tbody");
    body.replaceChildren.apply(body, run.metrics.map(function (metric) {
      return HS.el("tr", { className: metric.primary ? "primary" : null }, [
        HS.el("td", { text: metric.name }), HS.el("td", { text: metric.count }),
        HS.el("td", { text: metric.last }), HS.el("td", { text: metric.min }),
        HS.el("td", { text: metric.max }),
      ]);
    }));
    drawFigures(run.figures);
    HS.setText("updated", new Date().toLocaleString());
  }

  async function load(first) {
    let run;
    try {
      run = await HS.getJSON(api);
    } catch (error) {
      HS.showError(document.getElementById("run-charts"), "Cannot load the run: " + error.message);
      return;
    }
    if (first || run.version !== version) {
      version = run.version;
      showRun(run);
    }
    page.dataset.ready = "true";
    if (!run.is_terminal) {
      window.setTimeout(function () { load(false); }, POLL_MILLISECONDS);
    }
  }

  load(true);
})();
