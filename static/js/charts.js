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

  // Charts in view are drawn at once; those further down the page when they
  // come near the view (IntersectionObserver), so the first screen is ready
  // sooner. When every chart in view is drawn, <html data-charts-drawn="N">
  // and window.chartsDrawnAt (ms since navigation) are set and a
  // "charts:drawn" event fires (tests and bench/browser.py wait for it).
  // Printing draws the rest first.
  var MANY_POINTS = 2000; // a line with more points than this draws with WebGL
  var NARROW = 560; // px: a phone-sized chart
  // A review pack (<html data-charts="eager">) is read offline and printed:
  // it draws every chart at once.
  var eager = document.documentElement.dataset.charts === "eager";
  var observer =
    !eager && "IntersectionObserver" in window
      ? new IntersectionObserver(
          function (entries) {
            entries.forEach(function (entry) {
              if (entry.isIntersecting) {
                observer.unobserve(entry.target);
                drawOne(entry.target);
              }
            });
          },
          { rootMargin: "200px 0px" }
        )
      : null;

  // In the window now (charts just below it wait for the observer, whose
  // margin starts them a little before they scroll into view).
  function inView(el) {
    var box = el.getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  }

  function fitToScreen(el, figure) {
    var data = figure.data || [];
    var layout = figure.layout || {};
    data.forEach(function (trace) {
      var points = trace.x && trace.x.length ? trace.x.length : 0;
      if (trace.type === "scatter" && points > MANY_POINTS) {
        trace.type = "scattergl";
      }
    });
    if (el.clientWidth && el.clientWidth < NARROW) {
      // A phone: smaller type, and room for the legend under the plot.
      var named = data.filter(function (t) {
        return t.showlegend !== false && t.name;
      }).length;
      layout.font = Object.assign({}, layout.font, { size: 11 });
      layout.legend = Object.assign({}, layout.legend, { font: { size: 10 } });
      layout.margin = Object.assign({}, layout.margin, { l: 44, r: 8 });
      if (layout.height && named > 4) {
        layout.height = layout.height + 18 * Math.ceil(named / 2);
      }
    }
    return { data: data, layout: layout };
  }

  function drawOne(el) {
    if (el.dataset.rendered === "true" || el.dataset.rendering === "true") {
      return Promise.resolve();
    }
    var source = document.getElementById(el.dataset.figure);
    if (!source) {
      return Promise.resolve();
    }
    el.dataset.rendering = "true";
    var figure = fitToScreen(el, JSON.parse(source.textContent));
    var config = Object.assign({}, CONFIG, {
      toImageButtonOptions: Object.assign({}, CONFIG.toImageButtonOptions, {
        filename: el.dataset.filename || el.dataset.figure,
      }),
    });
    return window.Plotly.newPlot(el, figure.data, figure.layout, config).then(function () {
      el.dataset.rendered = "true";
      delete el.dataset.rendering;
    });
  }

  function draw(root) {
    if (typeof window.Plotly === "undefined") {
      return;
    }
    var now = [];
    (root || document).querySelectorAll("[data-figure]").forEach(function (el) {
      if (el.dataset.rendered === "true") {
        return;
      }
      if (observer && !inView(el)) {
        observer.observe(el);
      } else {
        now.push(drawOne(el));
      }
    });
    Promise.all(now).then(function () {
      window.chartsDrawnAt = window.performance.now();
      document.documentElement.dataset.chartsDrawn = String(now.length);
      document.dispatchEvent(new CustomEvent("charts:drawn", { detail: { count: now.length } }));
    });
  }

  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      if (observer) {
        observer.unobserve(el);
      }
      drawOne(el);
    });
  });

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
