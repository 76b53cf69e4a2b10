// The HTML report: the same table and charts as the dashboard, from data embedded in the file.
(async function () {
  "use strict";

  const HS = window.HS;
  const data = JSON.parse(document.getElementById("report-data").textContent);

  const table = new HS.RunsTable(document.getElementById("runs-table"), {
    columns: data.columns,
    metric: data.summary.metric,
    source: HS.localSource(data.rows, data.summary.goal),
    runHref: null,
  });
  await table.load();

  const charts = new HS.SweepCharts({ runHref: null });
  await charts.render(data.charts);
  charts.renderImportance(data.importance);
  document.body.dataset.ready = "true";
})();
