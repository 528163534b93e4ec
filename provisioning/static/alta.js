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

  // «Imprimir» buttons (hidden without this script: Ctrl+P still works).
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // The request form: with expediente electrónico the unit's type decides dirección and
  // subdirección (observación 3; the server fills them too when left blank).
  var form = document.querySelector("form[data-ece-adscription]");
  if (!form) { return; }
  var rules = JSON.parse(form.getAttribute("data-ece-adscription"));
  var unit = form.querySelector("#unit_clues");
  var direccion = form.querySelector("#direccion_code");
  var subdireccion = form.querySelector("#subdireccion_code");
  var fill = function () {
    var ece = form.querySelector("input[name=expediente_electronico]:checked");
    var option = unit.options[unit.selectedIndex];
    var sub = option && rules.by_unit_type[option.getAttribute("data-unit-type")];
    if (ece && ece.value === "si" && sub) {
      direccion.value = rules.direccion;
      subdireccion.value = sub;
    }
  };
  unit.addEventListener("change", fill);
  form.querySelectorAll("input[name=expediente_electronico]").forEach(function (radio) {
    radio.addEventListener("change", fill);
  });
  fill();

  // A search box over the units (there are hundreds): typing hides the options and
  // jurisdictions that do not match the name or the CLUES.
  var fold = function (text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  };
  var label = document.createElement("label");
  label.setAttribute("for", "unit_search");
  label.className = "hint";
  label.textContent = "Buscar su unidad por nombre o CLUES";
  var search = document.createElement("input");
  search.type = "search";
  search.id = "unit_search";
  search.autocomplete = "off";
  unit.parentNode.insertBefore(label, unit);
  unit.parentNode.insertBefore(search, unit);
  search.addEventListener("input", function () {
    var words = fold(search.value).split(/\s+/).filter(Boolean);
    unit.querySelectorAll("optgroup").forEach(function (group) {
      var shown = 0;
      group.querySelectorAll("option").forEach(function (option) {
        var text = fold(option.textContent);
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        option.hidden = !match;
        shown += match ? 1 : 0;
      });
      group.hidden = shown === 0;
    });
  });
}());
