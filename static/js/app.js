// ChannelHub page behaviour. One static file, no inline scripts (CSP-friendly).
// Loaded in <head> without defer (it is tiny): it marks <html class="js"> before
// the page paints, so the phone menu starts closed only when this file runs.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Confirm buttons that carry data-confirm before their form submits.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // The phone menu: the top bar's "Menu" button opens and closes it.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".nav-toggle");
    if (!toggle) {
      return;
    }
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.closest(".topbar").classList.toggle("open", open);
  });
  document.addEventListener("keydown", function (event) {
    var bar = document.querySelector(".topbar.open");
    if (event.key === "Escape" && bar) {
      var toggle = bar.querySelector(".nav-toggle");
      toggle.setAttribute("aria-expanded", "false");
      bar.classList.remove("open");
      toggle.focus();
    }
  });

  // Wide tables scroll inside their .table-wrap: make each one that scrolls a
  // labelled region that the keyboard can reach (Tab, then arrow keys), named
  // after the table's caption, aria-label or the heading above it.
  function tableName(wrap) {
    if (wrap.dataset.label) {
      return wrap.dataset.label;
    }
    var table = wrap.querySelector("table");
    if (table && table.caption) {
      return table.caption.textContent.trim();
    }
    if (table && table.getAttribute("aria-label")) {
      return table.getAttribute("aria-label");
    }
    var box = wrap.closest(".card, section") || wrap.parentElement;
    var heading = box && box.querySelector("h1, h2, h3");
    return heading ? heading.textContent.trim() : "Table";
  }
  function labelTables(root) {
    // A table.table placed without its wrap gets one, so it never widens the page.
    (root || document).querySelectorAll("table.table").forEach(function (table) {
      if (!table.parentElement.classList.contains("table-wrap")) {
        var wrap = document.createElement("div");
        wrap.className = "table-wrap";
        table.parentElement.insertBefore(wrap, table);
        wrap.appendChild(table);
      }
    });
    (root || document).querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", tableName(wrap) + " (table, scrolls sideways)");
        wrap.classList.add("scrolls");
      } else if (!scrolls && wrap.classList.contains("scrolls")) {
        ["tabindex", "role", "aria-label"].forEach(function (name) {
          wrap.removeAttribute(name);
        });
        wrap.classList.remove("scrolls");
      }
      markMoreRight(wrap);
    });
  }
  // A table with columns out of view to its right fades at that edge, so a
  // reader sees there is more (the class goes once scrolled to the end).
  function markMoreRight(wrap) {
    var more = wrap.scrollLeft + wrap.clientWidth < wrap.scrollWidth - 1;
    wrap.classList.toggle("more-right", more);
  }
  document.addEventListener(
    "scroll",
    function (event) {
      var wrap = event.target;
      if (wrap.classList && wrap.classList.contains("table-wrap")) {
        markMoreRight(wrap);
      }
    },
    true
  );
  // A field whose input carries data-shown-when="name=value" shows only while
  // its form's control `name` has that value (the planner's budget and target).
  function applyShownWhen(root) {
    (root || document).querySelectorAll("[data-shown-when]").forEach(function (input) {
      var rule = input.getAttribute("data-shown-when").split("=");
      var control = input.form && input.form.elements[rule[0]];
      if (control) {
        (input.closest(".field") || input).hidden = control.value !== rule[1];
      }
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.form && event.target.form.querySelector("[data-shown-when]")) {
      applyShownWhen(event.target.form);
    }
  });

  // The planner's bounds are totals over the period: the cells carrying
  // data-per-day show today's spend over the month or quarter chosen, as it
  // is changed (the server renders the same for the period it was sent).
  function periodDays(form) {
    var period = form.elements.period;
    var start = form.elements.start;
    var parts = start && /^(\d{4})-(\d{2})-\d{2}$/.exec(start.value);
    if (!period || !parts) {
      return null;
    }
    var year = Number(parts[1]);
    var month = Number(parts[2]) - 1;
    var months = period.value === "quarter" ? 3 : 1;
    return Math.round((Date.UTC(year, month + months, 1) - Date.UTC(year, month, 1)) / 86400000);
  }
  function applyPeriodPace(form) {
    var table = form.querySelector("table[data-money-pattern]");
    var days = table && periodDays(form);
    if (!days) {
      return;
    }
    var pattern = table.getAttribute("data-money-pattern");
    var perDay = 0;
    table.querySelectorAll("[data-period-days]").forEach(function (cell) {
      cell.textContent = String(days);
    });
    table.querySelectorAll("[data-per-day]").forEach(function (cell) {
      var daily = Number(cell.getAttribute("data-per-day"));
      perDay += daily;
      cell.textContent = pattern.replace("0", Math.round(daily * days).toLocaleString("en-US"));
    });
    // The budget proposed at today's pace follows the period, until typed over.
    var budget = form.querySelector("[data-pace-value]");
    if (budget && budget.value === budget.getAttribute("data-pace-value")) {
      budget.value = String(Math.round(perDay * days));
      budget.setAttribute("data-pace-value", budget.value);
    }
  }
  document.addEventListener("change", function (event) {
    var name = event.target.name;
    if (event.target.form && (name === "period" || name === "start")) {
      applyPeriodPace(event.target.form);
    }
  });

  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () {
      labelTables();
    }, 150);
  });
  document.addEventListener("DOMContentLoaded", function () {
    labelTables();
    applyShownWhen();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    labelTables(event.target);
    applyShownWhen(event.target);
  });
})();
