/* Alta — below 600 px the tables become stacked cards (alta.css, table.cards): each cell
   gets its column's header as a label. Without this script the tables keep scrolling
   sideways inside .table-wrap, which is focusable for the keyboard. */
(function () {
  "use strict";
  document.querySelectorAll(".table-wrap table").forEach(function (table) {
    var heads = [];
    table.querySelectorAll("thead th").forEach(function (th) {
      for (var i = 0; i < (th.colSpan || 1); i += 1) { heads.push(th.textContent.trim()); }
    });
    if (!heads.length) { return; }
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        // A cell over several columns («No hay …») is a message, not a value: no label.
        if (heads[column] && cell.colSpan === 1 && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", heads[column]);
        }
        column += cell.colSpan || 1;
      });
    });
    table.classList.add("cards");
  });
}());
