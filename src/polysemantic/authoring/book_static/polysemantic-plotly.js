// Draws the course's plotly figures from the JSON embedded in each page, with the
// plotly.js served by the book itself, and recolours them for the dark theme.
(function () {
  "use strict";
  var figures = [];

  function isDark() {
    return document.documentElement.dataset.theme === "dark";
  }

  // Layout changes for the current theme: every axis of the figure, the font, the paper.
  function themeUpdate(layout) {
    var dark = isDark();
    var update = {
      "paper_bgcolor": dark ? "rgba(0,0,0,0)" : "white",
      "plot_bgcolor": dark ? "rgba(0,0,0,0)" : "white",
      "font.color": dark ? "#e6e6e6" : "#2a3f5f",
      "title.font.color": dark ? "#e6e6e6" : "#2a3f5f",
    };
    Object.keys(layout).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key) || key === "xaxis" || key === "yaxis") {
        update[key + ".gridcolor"] = dark ? "#3a3a3a" : "#EBF0F8";
        update[key + ".zerolinecolor"] = dark ? "#555555" : "#EBF0F8";
        update[key + ".linecolor"] = dark ? "#777777" : "#EBF0F8";
      }
    });
    ["scene", "scene2"].forEach(function (scene) {
      if (layout[scene]) {
        ["xaxis", "yaxis", "zaxis"].forEach(function (axis) {
          update[scene + "." + axis + ".gridcolor"] = dark ? "#3a3a3a" : "#DFE8F3";
          update[scene + "." + axis + ".backgroundcolor"] = dark ? "rgba(0,0,0,0)" : "white";
        });
      }
    });
    return update;
  }

  function draw(container) {
    var source = container.querySelector('script[type="application/json"]');
    if (!source || typeof Plotly === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var plot = document.createElement("div");
    container.appendChild(plot);
    var layout = spec.layout || {};
    Plotly.newPlot(plot, {
      data: spec.data || [],
      layout: layout,
      frames: spec.frames || [],
      config: { responsive: true, displaylogo: false },
    }).then(function () {
      Plotly.relayout(plot, themeUpdate(layout));
    });
    figures.push({ plot: plot, layout: layout });
  }

  function drawAll() {
    document.querySelectorAll("div.ps-plotly").forEach(draw);
    new MutationObserver(function () {
      figures.forEach(function (f) { Plotly.relayout(f.plot, themeUpdate(f.layout)); });
    }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
