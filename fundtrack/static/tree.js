// Expandable balance tree: a region row with regions below it gets a button that hides or
// shows them. Without this script every row stays visible. Labels come from the page
// (data-toggle-label on the row, data-expand-all / data-collapse-all on the table), so they
// are in the reader's language.
(function () {
  "use strict";

  function setUp(table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-region]"));
    var byCode = {};
    var children = {};
    rows.forEach(function (row) { byCode[row.getAttribute("data-region")] = row; });
    rows.forEach(function (row) {
      var parent = row.getAttribute("data-parent");
      if (parent && byCode[parent]) {
        (children[parent] = children[parent] || []).push(row);
      }
    });
    var buttons = [];

    function buttonOf(row) {
      return row.querySelector("button.tree-toggle");
    }

    function hideBelow(code) {
      (children[code] || []).forEach(function (child) {
        child.hidden = true;
        hideBelow(child.getAttribute("data-region"));
      });
    }

    function showBelow(code) {
      (children[code] || []).forEach(function (child) {
        child.hidden = false;
        var button = buttonOf(child);
        if (!button || button.getAttribute("aria-expanded") === "true") {
          showBelow(child.getAttribute("data-region"));
        }
      });
    }

    function setExpanded(row, expanded) {
      var code = row.getAttribute("data-region");
      var button = buttonOf(row);
      button.setAttribute("aria-expanded", expanded ? "true" : "false");
      if (expanded) {
        showBelow(code);
      } else {
        hideBelow(code);
      }
    }

    rows.forEach(function (row) {
      var label = row.getAttribute("data-toggle-label");
      var code = row.getAttribute("data-region");
      if (!label || !children[code]) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "tree-toggle";
      button.setAttribute("aria-expanded", "true");
      button.setAttribute("aria-label", label);
      button.setAttribute("title", label);
      button.setAttribute("aria-controls", children[code].map(function (child) {
        return child.id;
      }).join(" "));
      button.addEventListener("click", function () {
        setExpanded(row, button.getAttribute("aria-expanded") !== "true");
      });
      var cell = row.querySelector("th");
      cell.insertBefore(button, cell.firstChild);
      buttons.push(row);
    });
    if (!buttons.length) {
      return;
    }

    function allButton(text, expanded) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = text;
      button.addEventListener("click", function () {
        // collapse the deepest first and expand the shallowest first: each row ends as asked
        var order = expanded ? buttons : buttons.slice().reverse();
        order.forEach(function (row) { setExpanded(row, expanded); });
      });
      return button;
    }

    var controls = document.createElement("p");
    controls.className = "tree-controls";
    controls.appendChild(allButton(table.getAttribute("data-expand-all") || "+", true));
    controls.appendChild(allButton(table.getAttribute("data-collapse-all") || "-", false));
    table.parentNode.insertBefore(controls, table);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("table.tree"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
