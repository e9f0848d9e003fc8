/* Setu's own page behaviour: draw Plotly charts embedded as JSON, again after htmx swaps. */
(function () {
  "use strict";

  /* Plotly (4.8 MB) is fetched only by a page that has a chart, once, then every chart is drawn */
  var plotlyLoading = false;
  function loadPlotly() {
    if (plotlyLoading) { return; }
    plotlyLoading = true;
    var s = document.createElement("script");
    s.src = document.body.dataset.plotly;
    s.onload = function () { drawCharts(document); };
    document.head.appendChild(s);
  }

  function drawCharts(root) {
    if (!(root || document).querySelector(".setu-chart")) { return; }
    if (typeof window.Plotly === "undefined") { loadPlotly(); return; }
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
