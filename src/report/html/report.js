"use strict";
// Sorting and filtering of the report's tables. Reads cell text only;
// writes no markup. Without it the tables are in the report's order.
(function () {
  function value(row, i, numeric) {
    var cell = row.cells[i];
    var text = cell ? cell.textContent.trim() : "";
    if (!numeric) { return text.toLowerCase(); }
    var n = parseFloat(text.replace(/[^0-9.\-]/g, ""));
    return isNaN(n) ? -Infinity : n;
  }
  function sort(table, i, th) {
    var numeric = th.classList.contains("num");
    var state = th.getAttribute("aria-sort");
    var descending = state === "none" ? numeric : state === "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
      h.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, i, numeric), y = value(b, i, numeric);
      var c = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function filter(table, input) {
    var q = input.value.trim().toLowerCase();
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
      r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0;
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.grid"), function (table) {
    if (!table.tHead || !table.tBodies[0]) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.setAttribute("aria-sort", "none");
      th.tabIndex = 0;
      th.title = "Sort";
      th.addEventListener("click", function () { sort(table, i, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(table, i, th); }
      });
    });
    if (table.tBodies[0].rows.length > 8) {
      var input = document.createElement("input");
      input.type = "search";
      input.className = "filter";
      input.placeholder = "Filter rows";
      input.setAttribute("aria-label", "Filter rows");
      input.addEventListener("input", function () { filter(table, input); });
      table.parentNode.parentNode.insertBefore(input, table.parentNode);
    }
  });
})();
