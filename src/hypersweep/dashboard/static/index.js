// The experiments page: updates status, progress, best value and duration of each sweep, and
// reloads when a sweep appears or disappears.
(function () {
  "use strict";

  const HS = window.HS;
  const POLL_MILLISECONDS = 3000;
  const container = document.getElementById("experiments");

  function shownIds() {
    return Array.from(container.querySelectorAll("tr[data-run-id]")).map(function (row) {
      return row.dataset.runId;
    }).sort().join("\n");
  }

  function update(experiments) {
    const sweeps = [];
    experiments.forEach(function (experiment) {
      experiment.sweeps.forEach(function (sweep) { sweeps.push(sweep); });
    });
    const ids = sweeps.map(function (sweep) { return sweep.run_id; }).sort().join("\n");
    if (ids !== shownIds()) {
      window.location.reload();
      return;
    }
    sweeps.forEach(function (sweep) {
      const row = Array.from(container.querySelectorAll("tr[data-run-id]")).find(function (item) {
        return item.dataset.runId === sweep.run_id;
      });
      if (!row) {
        return;
      }
      const status = row.querySelector('[data-field="status"]');
      status.textContent = sweep.status;
      status.className = HS.statusClass(sweep.status);
      row.querySelector('[data-field="progress"]').textContent = sweep.done + "/" + sweep.max_total_runs +
        (sweep.running ? " (" + sweep.running + " running)" : "");
      row.querySelector('[data-field="best"]').textContent = sweep.best_child_id
        ? sweep.metric + " = " + sweep.best_score_text : "-";
      row.querySelector('[data-field="duration"]').textContent = sweep.duration_text;
    });
  }

  async function poll() {
    try {
      const data = await HS.getJSON(container.dataset.api);
      update(data.experiments);
      HS.setText("updated", new Date().toLocaleString());
    } catch (error) {
      // The store may not exist yet; the next poll tries again.
    }
    window.setTimeout(poll, POLL_MILLISECONDS);
  }

  window.setTimeout(poll, POLL_MILLISECONDS);
})();
