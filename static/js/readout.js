/* Readout: small shared helpers. Pages work without JavaScript; these only add convenience.
 *
 *  - <select data-autosubmit> submits its form on change (filter bars).
 *  - <table data-sortable> sorts its rows when a <th class="sortable"> is clicked, using each cell's
 *    data-value when present (numbers, ISO dates), otherwise its text; aria-sort shows the order.
 *  - Readout.cssVar("--chart-1") reads a design token, so charts use the stylesheet's colours.
 *  - The header's "Menu" button (narrow screens) shows and hides the links and keeps aria-expanded true to it;
 *    without JavaScript the button stays hidden and the links visible. Escape closes the menu.
 *  - A .table-wrap whose table is wider than the screen scrolls sideways: it becomes a named, focusable region so
 *    keyboard users can scroll it too (WCAG 2.1.1), and stops being one when it fits again.
 */
(function () {
  "use strict";

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  // init() may run again on content added later: bind each element once.
  function once(element) {
    if (element.dataset.readoutBound) return false;
    element.dataset.readoutBound = "1";
    return true;
  }

  function autosubmit(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      if (!once(select)) return;
      select.addEventListener("change", function () {
        if (select.form) {
          // A new filter starts again from page 1.
          var page = select.form.querySelector("input[name=page]");
          if (page) page.remove();
          select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
        }
      });
    });
  }

  function cellKey(cell) {
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
    var number = parseFloat(raw.replace(/[,%\s]/g, ""));
    return isNaN(number) || !/^[-+]?[\d.,%\s]+$/.test(raw) ? raw.toLowerCase() : number;
  }

  function sortable(root) {
    root.querySelectorAll("table[data-sortable]").forEach(function (table) {
      if (!once(table)) return;
      var headers = table.querySelectorAll("thead th.sortable");
      headers.forEach(function (th) {
        th.tabIndex = 0;
        function sort() {
          var index = Array.prototype.indexOf.call(th.parentNode.children, th);
          var ascending = th.getAttribute("aria-sort") !== "ascending";
          headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (a, b) {
            var x = cellKey(a.cells[index]), y = cellKey(b.cells[index]);
            if (x === y) return 0;
            var order = typeof x === typeof y ? (x < y ? -1 : 1) : (typeof x === "number" ? -1 : 1);
            return ascending ? order : -order;
          });
          rows.forEach(function (row) { body.appendChild(row); });
        }
        th.addEventListener("click", sort);
        th.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
        });
      });
    });
  }

  // <select data-split-into="scope key">: its value "a|b" fills the form's fields scope=a and key=b before the
  // form is submitted (an inline onchange handler before; the Content-Security-Policy allows none).
  function splitInto(root) {
    root.querySelectorAll("select[data-split-into]").forEach(function (select) {
      if (select.dataset.readoutSplitBound) return;
      select.dataset.readoutSplitBound = "1";
      var names = select.getAttribute("data-split-into").split(/\s+/);
      select.addEventListener("change", function () {
        var parts = select.value.split("|");
        names.forEach(function (name, i) {
          var field = select.form && select.form.elements[name];
          if (field) field.value = parts[i] === undefined ? "" : parts[i];
        });
      });
    });
  }

  function init(root) {
    splitInto(root);  // before autosubmit: its change handler must run first
    autosubmit(root);
    sortable(root);
    scrollRegions(root);
  }

  function navToggle() {
    var button = document.querySelector(".nav-toggle");
    var links = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!links || !once(button)) return;
    button.hidden = false;  // CSS shows it only on narrow screens
    function set(open) { button.setAttribute("aria-expanded", open ? "true" : "false"); }
    button.addEventListener("click", function () { set(button.getAttribute("aria-expanded") !== "true"); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") { set(false); button.focus(); }
    });
  }

  function scrollRegions(root) {
    root.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.hasAttribute("tabindex")) {
        var caption = wrap.querySelector("caption");
        var name = caption ? caption.textContent.trim() : "Table";
        wrap.tabIndex = 0;
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", name + " (scrolls sideways)");
        wrap.dataset.readoutScroll = "1";
      } else if (!scrolls && wrap.dataset.readoutScroll) {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
        delete wrap.dataset.readoutScroll;
      }
    });
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { scrollRegions(document); }, 150);
  });

  window.Readout = { cssVar: cssVar, init: init };
  document.addEventListener("DOMContentLoaded", function () { navToggle(); init(document); });
})();
