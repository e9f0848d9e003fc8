/* Setu's own page behaviour: draw Plotly charts embedded as JSON, again after htmx swaps. */
(function () {
  "use strict";

  function drawCharts(root) {
    if (typeof window.Plotly === "undefined") { return; }
    (root || document).querySelectorAll(".setu-chart").forEach(function (el) {
      if (el.dataset.drawn === "1") { return; }
      var src = el.querySelector("script.setu-figure");
      if (!src) { return; }
      var fig = JSON.parse(src.textContent);
      el.dataset.drawn = "1";
      window.Plotly.newPlot(el, fig.data, fig.layout, {
        responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"]
      });
    });
  }

  /* a button with data-toggle-details="<selector>" opens (or closes) every <details> inside it */
  document.addEventListener("click", function (evt) {
    var btn = evt.target.closest("[data-toggle-details]");
    if (!btn) { return; }
    var root = document.querySelector(btn.dataset.toggleDetails);
    if (!root) { return; }
    var open = btn.dataset.open !== "1";
    root.querySelectorAll("details").forEach(function (d) { d.open = open; });
    btn.dataset.open = open ? "1" : "0";
    btn.textContent = open ? "Collapse all" : "Expand all";
  });

  /* a form control with data-submit-on-change submits its form when changed (no inline handlers: CSP) */
  document.addEventListener("change", function (evt) {
    var el = evt.target.closest("[data-submit-on-change]");
    if (el && el.form) { el.form.submit(); }
  });

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { drawCharts(evt.target); });
  window.setuDrawCharts = drawCharts;
})();
