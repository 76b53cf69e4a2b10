// The charts of a sweep, drawn from figures that the server (or the report) built.
// The scatter charts change axes here, from the per-hyperparameter positions in "axes",
// so choosing an axis needs no request.
(function () {
  "use strict";

  const HS = (window.HS = window.HS || {});

  // options: runHref(runId) -> address or null, for clicks on the 2-D scatter points.
  HS.SweepCharts = function (options) {
    this.runHref = (options && options.runHref) || null;
    this.data = null;
    this.clickBound = false;
    const self = this;
    ["scatter2d-x", "scatter2d-y"].forEach(function (id) {
      const select = document.getElementById(id);
      if (select) { select.addEventListener("change", function () { self.drawScatter2d(); }); }
    });
    ["scatter3d-x", "scatter3d-y", "scatter3d-z"].forEach(function (id) {
      const select = document.getElementById(id);
      if (select) { select.addEventListener("change", function () { self.drawScatter3d(); }); }
    });
  };

  function nextFrame() {
    return new Promise(function (resolve) { window.requestAnimationFrame(function () { resolve(); }); });
  }

  // Draw one chart per animation frame, so that the page stays responsive while 10,000-run
  // charts are drawn (in software WebGL that takes seconds).
  HS.SweepCharts.prototype.render = async function (data) {
    const self = this;
    this.data = data;
    const steps = [
      function () { HS.plot("chart-curves", data.figures.curves); },
      function () { HS.plot("chart-best", data.figures.best); },
      function () { HS.plot("chart-parallel", data.figures.parallel); },
      function () { self.drawScatter2d(); },
      function () { self.drawScatter3d(); },
    ];
    for (let index = 0; index < steps.length; index += 1) {
      steps[index]();
      await nextFrame();
    }
  };

  HS.SweepCharts.prototype.renderImportance = function (data) {
    HS.plot("chart-importance", data.figure);
  };

  function chosen(id, fallback) {
    const select = document.getElementById(id);
    return select && select.value ? select.value : fallback;
  }

  // A copy of the figure with its points moved to other hyperparameters.
  function withAxes(figure, axes, names) {
    const copy = { data: figure.data.map(function (trace) { return Object.assign({}, trace); }),
      layout: Object.assign({}, figure.layout) };
    if (!copy.data.length) {
      return copy;
    }
    const trace = copy.data[0];
    const is3d = trace.type === "scatter3d";
    const scene = is3d ? Object.assign({}, copy.layout.scene) : null;
    ["x", "y", "z"].forEach(function (letter) {
      const name = names[letter];
      if (!name || !axes[name] || (letter === "z" && !is3d)) {
        return;
      }
      trace[letter] = axes[name].values;
      if (is3d) {
        scene[letter + "axis"] = axes[name].scene_axis;
      } else {
        copy.layout[letter + "axis"] = axes[name].axis;
      }
    });
    if (is3d) {
      copy.layout.scene = scene;
    }
    return copy;
  }

  HS.SweepCharts.prototype.drawScatter2d = function () {
    const element = document.getElementById("chart-scatter2d");
    if (!element || !this.data || !this.data.figures.scatter2d) {
      return;
    }
    const names = {
      x: chosen("scatter2d-x", this.data.default_axes.x),
      y: chosen("scatter2d-y", this.data.default_axes.y),
    };
    HS.plot(element, withAxes(this.data.figures.scatter2d, this.data.axes, names));
    if (this.runHref && !this.clickBound && element.on) {
      const runHref = this.runHref;
      element.on("plotly_click", function (event) {
        const point = event && event.points && event.points[0];
        if (point && point.customdata) {
          window.location.href = runHref(point.customdata);
        }
      });
      this.clickBound = true;
    }
  };

  HS.SweepCharts.prototype.drawScatter3d = function () {
    const element = document.getElementById("chart-scatter3d");
    if (!element || !this.data || !this.data.figures.scatter3d) {
      return;
    }
    const names = {
      x: chosen("scatter3d-x", this.data.default_axes.x),
      y: chosen("scatter3d-y", this.data.default_axes.y),
      z: chosen("scatter3d-z", this.data.default_axes.z),
    };
    HS.plot(element, withAxes(this.data.figures.scatter3d, this.data.axes, names));
  };
})();
