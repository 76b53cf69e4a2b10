// The child run table: sortable column headers, filters and pages.
// A data source returns one page for a query. The dashboard requests it from the server, and
// the HTML report filters and sorts its embedded rows (HS.localSource, same rules as the server).
(function () {
  "use strict";

  const HS = (window.HS = window.HS || {});
  const STATUSES = ["Queued", "Running", "Completed", "Failed", "Canceled"];
  const PAGE_SIZES = [10, 25, 50, 100, 200];

  // options: columns (hyperparameter names), metric, source(query) -> Promise(page),
  // runHref(runId) -> address or null, query (initial), onQuery(query) after each change.
  HS.RunsTable = function (container, options) {
    this.container = container;
    this.columns = options.columns;
    this.metric = options.metric;
    this.source = options.source;
    this.runHref = options.runHref;
    this.onQuery = options.onQuery || function () {};
    this.query = Object.assign({ page: 1, page_size: 25, sort: "score", order: "" }, options.query || {});
    this.build();
  };

  HS.RunsTable.prototype.build = function () {
    const self = this;
    const statusSelect = HS.el("select", { name: "status", id: "filter-status" }, [
      HS.el("option", { value: "", text: "any status" }),
    ].concat(STATUSES.map(function (status) {
      return HS.el("option", { value: status, text: status });
    })));
    const paramSelect = HS.el("select", { name: "param", id: "filter-param" }, [
      HS.el("option", { value: "", text: "hyperparameter…" }),
    ].concat(this.columns.map(function (name) {
      return HS.el("option", { value: name, text: name });
    })));
    const valueInput = HS.el("input", {
      name: "value", id: "filter-value", type: "text", placeholder: "value, 0.1..0.5, >=3",
    });
    const scoreInput = HS.el("input", {
      name: "score", id: "filter-score", type: "text", placeholder: this.metric + ": >=0.9, 0..1",
    });
    const sizeSelect = HS.el("select", { name: "page_size", id: "page-size" }, PAGE_SIZES.map(function (size) {
      return HS.el("option", { value: String(size), text: size + " per page" });
    }));
    statusSelect.value = this.query.status || "";
    paramSelect.value = this.query.param || "";
    valueInput.value = this.query.value || "";
    scoreInput.value = this.query.score || "";
    sizeSelect.value = String(this.query.page_size);

    const form = HS.el("form", { className: "filters", id: "runs-filters" }, [
      statusSelect, paramSelect, valueInput, scoreInput,
      HS.el("button", { type: "submit", id: "filter-apply", text: "Filter" }),
      HS.el("button", { type: "button", id: "filter-clear", text: "Clear", onclick: function () {
        statusSelect.value = "";
        paramSelect.value = "";
        valueInput.value = "";
        scoreInput.value = "";
        form.requestSubmit();
      } }),
      sizeSelect,
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.update({
        status: statusSelect.value, param: paramSelect.value, value: valueInput.value,
        score: scoreInput.value, page_size: Number(sizeSelect.value), page: 1,
      });
    });
    sizeSelect.addEventListener("change", function () {
      form.requestSubmit();
    });

    this.message = HS.el("p", { className: "table-message", id: "runs-message" });
    this.table = HS.el("table", { className: "runs", id: "runs" });
    this.pager = HS.el("div", { className: "pager", id: "runs-pager" });
    this.container.replaceChildren(form, this.message, HS.el("div", { className: "table-scroll" }, [this.table]), this.pager);
  };

  HS.RunsTable.prototype.update = function (changes) {
    Object.assign(this.query, changes || {});
    return this.load();
  };

  HS.RunsTable.prototype.load = async function () {
    const requested = Object.assign({}, this.query);
    let page;
    try {
      page = await this.source(requested);
    } catch (error) {
      this.message.textContent = "Cannot load the runs: " + error.message;
      this.message.className = "table-message problem";
      return;
    }
    this.message.className = "table-message";
    this.message.textContent = "";
    this.query.page = page.page;
    this.query.order = requested.order;
    this.render(page);
    this.onQuery(this.query);
  };

  HS.RunsTable.prototype.headers = function () {
    const fixed = [
      ["number", "run"], ["status", "status"], ["duration", "duration"], ["score", this.metric],
    ];
    const params = this.columns.map(function (name) { return ["param:" + name, name]; });
    return fixed.concat(params, [["reason", "why it ended"]]);
  };

  HS.RunsTable.prototype.render = function (page) {
    const self = this;
    const headRow = HS.el("tr");
    const descending = page.order === "desc";
    this.headers().forEach(function (header) {
      const key = header[0];
      const active = page.sort === key;
      let arrow = "";
      let ariaSort = null;
      if (active) {
        arrow = descending ? " ▼" : " ▲";
        ariaSort = descending ? "descending" : "ascending";
      }
      const button = HS.el("button", {
        type: "button", className: "sort" + (active ? " active" : ""), text: header[1] + arrow,
        dataset: { sort: key }, title: "Sort by " + header[1],
        onclick: function () {
          // A second click on the sorted column reverses it; another column starts in its
          // natural order (best first for the metric).
          let order = "";
          if (active) {
            order = descending ? "asc" : "desc";
          }
          self.update({ sort: key, order: order, page: 1 });
        },
      });
      headRow.appendChild(HS.el("th", { "aria-sort": ariaSort }, [button]));
    });

    const body = HS.el("tbody");
    page.rows.forEach(function (row) {
      const href = self.runHref ? self.runHref(row.run_id) : null;
      const label = "#" + row.number;
      const runCell = href
        ? HS.el("a", { href: href, className: "run-link", title: row.run_id, text: label })
        : HS.el("span", { title: row.run_id, text: label });
      const cells = [
        HS.el("td", {}, [runCell]),
        HS.el("td", {}, [HS.el("span", { className: HS.statusClass(row.status), text: row.status })]),
        HS.el("td", { className: "number", text: row.duration_text }),
        HS.el("td", { className: "number score", text: row.score_text }),
      ];
      self.columns.forEach(function (name) {
        cells.push(HS.el("td", { className: "param", text: row.params[name] }));
      });
      cells.push(HS.el("td", { className: "reason", text: row.reason }));
      body.appendChild(HS.el("tr", { dataset: { runId: row.run_id } }, cells));
    });
    if (!page.rows.length) {
      body.appendChild(HS.el("tr", {}, [HS.el("td", {
        colspan: String(this.headers().length), className: "empty",
        text: page.total ? "No run matches the filters." : "No child run has started yet.",
      })]));
    }
    this.table.replaceChildren(HS.el("thead", {}, [headRow]), body);

    const previous = HS.el("button", {
      type: "button", id: "page-previous", text: "‹ previous",
      onclick: function () { self.update({ page: page.page - 1 }); },
    });
    previous.disabled = page.page <= 1;
    const next = HS.el("button", {
      type: "button", id: "page-next", text: "next ›",
      onclick: function () { self.update({ page: page.page + 1 }); },
    });
    next.disabled = page.page >= page.pages;
    const summary = "page " + page.page + " of " + page.pages + " · " + page.matched +
      (page.matched === page.total ? "" : " of " + page.total) + " runs";
    this.pager.replaceChildren(previous, HS.el("span", { id: "page-info", text: summary }), next);
  };

  // Query parameters for the server, without empty values.
  HS.queryString = function (query) {
    const params = new URLSearchParams();
    ["page", "page_size", "sort", "order", "status", "param", "value", "score"].forEach(function (key) {
      const value = query[key];
      if (value !== undefined && value !== null && value !== "") {
        params.set(key, String(value));
      }
    });
    return params.toString();
  };

  HS.remoteSource = function (url) {
    return function (query) {
      return HS.getJSON(url + "?" + HS.queryString(query));
    };
  };

  // Filter expressions, as the server's table module reads them.
  const NUMBER = "[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]?inf(?:inity)?";
  const RANGE = new RegExp("^\\s*(" + NUMBER + ")\\s*\\.\\.\\s*(" + NUMBER + ")\\s*$", "i");
  const COMPARISON = new RegExp("^\\s*(>=|<=|>|<)\\s*(" + NUMBER + ")\\s*$", "i");
  const FULL_NUMBER = new RegExp("^(?:" + NUMBER + ")$", "i");
  const LITERALS = { "true": true, "false": false, "null": null, "none": null };

  function toNumber(text) {
    const lower = text.toLowerCase().replace("infinity", "inf");
    if (lower === "inf" || lower === "+inf") { return Infinity; }
    if (lower === "-inf") { return -Infinity; }
    return Number(text);
  }

  HS.parseCondition = function (text) {
    const stripped = String(text).trim();
    let match = RANGE.exec(stripped);
    if (match) {
      const low = toNumber(match[1]);
      const high = toNumber(match[2]);
      return { op: "range", value: Math.min(low, high), upper: Math.max(low, high) };
    }
    match = COMPARISON.exec(stripped);
    if (match) {
      return { op: match[1], value: toNumber(match[2]) };
    }
    const value = stripped.startsWith("=") ? stripped.slice(1).trim() : stripped;
    if (FULL_NUMBER.test(value)) {
      return { op: "=", value: toNumber(value) };
    }
    if (Object.prototype.hasOwnProperty.call(LITERALS, value.toLowerCase())) {
      return { op: "literal", value: LITERALS[value.toLowerCase()] };
    }
    return { op: "text", value: value };
  };

  function matches(value, condition) {
    if (condition.op === "text") {
      return typeof value === "string" && value === condition.value;
    }
    if (condition.op === "literal") {
      return value === condition.value;
    }
    if (typeof value !== "number") {
      return false;
    }
    switch (condition.op) {
      case "range": return value >= condition.value && value <= condition.upper;
      case ">=": return value >= condition.value;
      case ">": return value > condition.value;
      case "<=": return value <= condition.value;
      case "<": return value < condition.value;
      default: return value === condition.value;
    }
  }

  // SQLite's order of types: null, then numbers, then text.
  function compare(left, right) {
    const rank = function (value) {
      if (value === null || value === undefined) { return 0; }
      if (typeof value === "number" || typeof value === "boolean") { return 1; }
      return 2;
    };
    const difference = rank(left) - rank(right);
    if (difference !== 0) { return difference; }
    if (left < right) { return -1; }
    if (left > right) { return 1; }
    return 0;
  }

  // A source over rows in memory; goal is "maximize" or "minimize".
  HS.localSource = function (rows, goal) {
    return function (query) {
      let selected = rows;
      if (query.status) {
        selected = selected.filter(function (row) { return row.status === query.status; });
      }
      if (query.param && query.value && String(query.value).trim()) {
        const condition = HS.parseCondition(query.value);
        selected = selected.filter(function (row) { return matches(row.values[query.param], condition); });
      }
      if (query.score && String(query.score).trim()) {
        const condition = HS.parseCondition(query.score);
        if (condition.op === "text" || condition.op === "literal") {
          return Promise.reject(new Error("the metric filter takes a number, a range such as 0.1..0.5 or a comparison such as >=0.9"));
        }
        selected = selected.filter(function (row) { return matches(row.score, condition); });
      }

      const sort = query.sort || "score";
      const order = query.order || (sort === "score" && goal === "maximize" ? "desc" : "asc");
      const key = function (row) {
        if (sort.startsWith("param:")) {
          const value = row.values[sort.slice(6)];
          return typeof value === "boolean" ? Number(value) : value;
        }
        return {
          number: row.number, status: row.status, started: row.started_at,
          duration: row.duration, score: row.score, reason: row.reason || null,
        }[sort];
      };
      const sorted = selected.slice().sort(function (a, b) {
        const left = key(a);
        const right = key(b);
        const leftMissing = left === null || left === undefined;
        const rightMissing = right === null || right === undefined;
        if (leftMissing !== rightMissing) { return leftMissing ? 1 : -1; }
        const result = compare(left, right) * (order === "desc" ? -1 : 1);
        return result !== 0 ? result : a.number - b.number;
      });

      const pageSize = Number(query.page_size) || 25;
      const pages = Math.max(1, Math.ceil(sorted.length / pageSize));
      const page = Math.min(Math.max(1, Number(query.page) || 1), pages);
      return Promise.resolve({
        rows: sorted.slice((page - 1) * pageSize, page * pageSize),
        total: rows.length, matched: sorted.length, page: page, pages: pages,
        page_size: pageSize, sort: sort, order: order,
      });
    };
  };
})();
