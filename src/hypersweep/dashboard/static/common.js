// Helpers shared by the dashboard pages and the HTML report.
// Stored strings are untrusted: they reach the page through textContent only, never innerHTML.
(function () {
  "use strict";

  const HS = (window.HS = window.HS || {});

  HS.plotConfig = { responsive: true, displaylogo: false };

  // Create an element; "text" sets textContent, other keys set attributes or properties.
  HS.el = function (tag, options, children) {
    const element = document.createElement(tag);
    const settings = options || {};
    Object.keys(settings).forEach(function (key) {
      const value = settings[key];
      if (value === undefined || value === null) {
        return;
      }
      if (key === "text") {
        element.textContent = String(value);
      } else if (key === "className") {
        element.className = value;
      } else if (key === "dataset") {
        Object.keys(value).forEach(function (name) {
          element.dataset[name] = value[name];
        });
      } else if (key === "onclick" || key === "onchange" || key === "onsubmit") {
        element.addEventListener(key.slice(2), value);
      } else {
        element.setAttribute(key, value);
      }
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) {
        element.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    });
    return element;
  };

  HS.setText = function (id, text) {
    const element = document.getElementById(id);
    if (element) {
      element.textContent = text === undefined || text === null ? "" : String(text);
    }
  };

  HS.getJSON = async function (url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (!response.ok) {
      const message = body && body.error ? body.error : response.status + " " + response.statusText;
      throw new Error(message);
    }
    return body;
  };

  HS.runHref = function (runId) {
    return "/runs/" + encodeURIComponent(runId);
  };

  HS.statusClass = function (status) {
    return "status status-" + String(status).toLowerCase();
  };

  // Draw or update a Plotly figure in a container element (given or by id).
  HS.plot = function (target, figure) {
    const element = typeof target === "string" ? document.getElementById(target) : target;
    if (!element || !figure) {
      return null;
    }
    window.Plotly.react(element, figure.data, figure.layout, HS.plotConfig);
    return element;
  };

  HS.showError = function (container, message) {
    if (!container) {
      return;
    }
    container.replaceChildren(HS.el("p", { className: "problem", text: message }));
  };
})();
