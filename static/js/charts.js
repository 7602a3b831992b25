// Draws every Plotly figure a page hands over with json_script, on load and
// after every htmx swap. No inline scripts: <div class="chart" data-figure="ID">
// names the <script type="application/json" id="ID"> that holds {data, layout}.
// Also makes tables with data-sortable headers sortable in the browser.
(function () {
  "use strict";
  var CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d"],
    toImageButtonOptions: { format: "png", scale: 2 },
  };

  function draw(root) {
    if (typeof window.Plotly === "undefined") {
      return;
    }
    (root || document).querySelectorAll("[data-figure]").forEach(function (el) {
      if (el.dataset.rendered === "true") {
        return;
      }
      var source = document.getElementById(el.dataset.figure);
      if (!source) {
        return;
      }
      var figure = JSON.parse(source.textContent);
      var config = Object.assign({}, CONFIG, {
        toImageButtonOptions: Object.assign({}, CONFIG.toImageButtonOptions, {
          filename: el.dataset.filename || el.dataset.figure,
        }),
      });
      window.Plotly.newPlot(el, figure.data || [], figure.layout || {}, config).then(function () {
        el.dataset.rendered = "true";
      });
    });
  }

  function sortBy(th) {
    var table = th.closest("table");
    var body = table.tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.dataset.order !== "asc";
    table.querySelectorAll("th[data-sortable]").forEach(function (other) {
      delete other.dataset.order;
    });
    th.dataset.order = ascending ? "asc" : "desc";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].dataset.value;
      var y = b.cells[index].dataset.value;
      var nx = x === "" || x === undefined ? null : Number(x);
      var ny = y === "" || y === undefined ? null : Number(y);
      var result;
      if (nx === null && ny === null) {
        result = a.cells[index].textContent.localeCompare(b.cells[index].textContent);
      } else if (nx === null || isNaN(nx)) {
        return 1; // empty values last, whatever the direction
      } else if (ny === null || isNaN(ny)) {
        return -1;
      } else {
        result = nx - ny;
      }
      return ascending ? result : -result;
    });
    rows.forEach(function (row) {
      body.appendChild(row);
    });
  }

  document.addEventListener("click", function (event) {
    var th = event.target.closest("th[data-sortable]");
    if (th) {
      sortBy(th);
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    draw(event.target);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      draw();
    });
  } else {
    draw();
  }
})();
