// Draws the course's plotly figures from the JSON embedded in each page, with the
// plotly.js served by the book itself, and:
// - recolours them for the dark theme;
// - lays them out for narrow screens (below NARROW px of width): smaller margins, the
//   title wrapped over several lines, the legend under the plot, the slider under the
//   legend, with smaller labels (plotly itself thins labels that would overlap; the
//   slider's current value always shows the full label);
// - makes every slider work from the keyboard: it takes focus (Tab), is announced as a
//   slider with its name and current value, and the arrow keys, Home and End move it;
//   a 3-D scene takes focus too, and the arrow keys turn it; a legend's entries are
//   checkboxes (Enter or Space shows or hides a trace). The toolbar's buttons are
//   plotly's own <button> elements.
(function () {
  "use strict";
  var NARROW = 600; // px of the figure's width
  var figures = [];

  function isDark() {
    return document.documentElement.dataset.theme === "dark";
  }

  function copy(value) {
    return JSON.parse(JSON.stringify(value === undefined ? {} : value));
  }

  // Sets obj["a.b.c"]-style paths, creating objects on the way.
  function setPath(obj, path, value) {
    var keys = path.split(".");
    var node = obj;
    for (var k = 0; k < keys.length - 1; k++) {
      if (typeof node[keys[k]] !== "object" || node[keys[k]] === null) { node[keys[k]] = {}; }
      node = node[keys[k]];
    }
    node[keys[keys.length - 1]] = value;
  }

  // Layout changes for the current theme: every axis of the figure, the font, the paper.
  function themeUpdate(layout) {
    var dark = isDark();
    var ink = dark ? "#e6e6e6" : "#2a3f5f";
    var update = {
      "paper_bgcolor": dark ? "rgba(0,0,0,0)" : "white",
      "plot_bgcolor": dark ? "rgba(0,0,0,0)" : "white",
      "font.color": ink,
      "title.font.color": ink,
      "modebar.color": dark ? "#b0b0b0" : "rgba(68,68,68,0.6)",
      "modebar.activecolor": dark ? "#ffffff" : "rgba(68,68,68,1)",
      "modebar.bgcolor": "rgba(0,0,0,0)",
    };
    Object.keys(layout).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
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
    (layout.sliders || []).forEach(function (slider, i) {
      var key = "sliders[" + i + "]";
      update[key + ".font.color"] = ink;
      update[key + ".currentvalue.font.color"] = ink;
      update[key + ".bgcolor"] = dark ? "#555555" : "#F8FAFC";
      update[key + ".activebgcolor"] = dark ? "#9a9a9a" : "#DBDDE0";
      update[key + ".bordercolor"] = dark ? "#9a9a9a" : "#BEC8D9";
      update[key + ".tickcolor"] = ink;
    });
    (layout.annotations || []).forEach(function (note, i) {
      // Notes in the figure's own ink (not ones with their own colour and background).
      if (!note.bgcolor && !(note.font && note.font.color)) {
        update["annotations[" + i + "].font.color"] = ink;
      }
    });
    (layout.shapes || []).forEach(function (shape, i) {
      // Black reference lines (the palette's last colour) turn light in the dark.
      if (shape.line && /^(#000000|#000|black)$/i.test(shape.line.color || "")) {
        update["shapes[" + i + "].line.color"] = dark ? "#e6e6e6" : shape.line.color;
      }
    });
    return update;
  }

  // Traces drawn in black (the palette's last colour) turn light in the dark.
  function themeData(data) {
    var dark = isDark();
    return data.map(function (trace) {
      var t = trace;
      ["line", "marker"].forEach(function (part) {
        var color = trace[part] && trace[part].color;
        if (typeof color === "string" && /^(#000000|#000|black)$/i.test(color)) {
          t = t === trace ? Object.assign({}, trace) : t;
          t[part] = Object.assign({}, trace[part], { color: dark ? "#e6e6e6" : "#000000" });
        }
      });
      return t;
    });
  }

  function hasLegend(spec) {
    if (spec.layout && spec.layout.showlegend === false) { return false; }
    var named = (spec.data || []).filter(function (t) {
      return t.name && t.showlegend !== false;
    });
    return named.length > 0 && (named.length > 1 || (spec.layout && spec.layout.showlegend));
  }

  // A title broken over lines of at most `chars` characters.
  function wrap(text, chars) {
    var words = String(text || "").split(/\s+/);
    var lines = [];
    var line = "";
    words.forEach(function (word) {
      if (line && (line + " " + word).length > chars) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    if (line) { lines.push(line); }
    return lines;
  }

  // The layout to draw at this width, from the figure's own layout.
  function layoutFor(f, width) {
    var layout = copy(f.spec.layout);
    var narrow = width < NARROW;
    f.narrow = narrow;
    // Titles wrap to the figure's width, on any screen.
    var titleSize = narrow ? 15 : ((layout.font && layout.font.size) || 14) * 1.2;
    var title = typeof layout.title === "object" ? copy(layout.title) : { text: layout.title };
    var lines = wrap(title.text, Math.max(16, Math.floor((width - 24) / (titleSize * 0.6))));
    if (narrow || lines.length > 1) {
      title.text = lines.join("<br>");
      title.font = Object.assign({}, title.font, { size: titleSize });
      title.x = 0;
      title.xanchor = "left";
      title.xref = "container";
      title.yref = "container";
      title.y = 1;
      title.yanchor = "top";
      title.pad = { l: 8, t: 10 };
      layout.title = title;
      var titleHeight = 14 + lines.length * Math.round(titleSize * 1.3) + 12;
      if (!narrow) {
        var margin = Object.assign({ t: 60 }, layout.margin);
        margin.t = Math.max(margin.t, titleHeight);
        layout.margin = margin;
      }
    }
    if (narrow) {
      layout.font = Object.assign({}, layout.font, { size: 12 });
      var top = titleHeight;
      var plotHeight = Math.max(260, Math.min(420, Math.round(width * 0.9)));
      if (layout.scene) {
        plotHeight = Math.max(plotHeight, 340);
        // Seen from a little further away, the axes' names stay inside the figure.
        if (!layout.scene.camera) { layout.scene.camera = { eye: { x: 1.7, y: 1.7, z: 1.5 } }; }
      }
      // Under the plot, top to bottom: the x axis (its tick labels and title, measured
      // once drawn), the colour bar, the legend, the slider. `y` runs down in px.
      var y = layout.scene ? 10 : (f.belowAxis || 52);
      f.colorbarY = null;
      if (hasColorbar(f.spec)) {
        f.colorbarY = -y / plotHeight;
        y += 64;
      }
      if (hasLegend(f.spec)) {
        layout.legend = Object.assign({}, layout.legend, {
          orientation: "h",
          x: 0,
          xanchor: "left",
          y: -y / plotHeight,
          yanchor: "top",
          font: { size: 12 },
        });
        y += f.legendHeight || 40;
      }
      (layout.sliders || []).forEach(function (slider) {
        if ((slider.steps || []).length < 2) { return; } // plotly draws no slider then
        slider.x = 0;
        slider.len = 1;
        slider.xanchor = "left";
        slider.y = -y / plotHeight;
        slider.yanchor = "top";
        slider.pad = { t: 8, l: 4, r: 8, b: 0 };
        slider.font = Object.assign({}, slider.font, { size: 11 });
        slider.currentvalue = Object.assign({}, slider.currentvalue, { font: { size: 13 } });
        y += 96;
      });
      var bottom = y + 8;
      layout.height = top + plotHeight + bottom;
      layout.margin = {
        l: f.leftAxis || 52, r: f.rightAxis || 12, t: top, b: bottom, pad: 0, autoexpand: false,
      };
    }
    if (!narrow && f.belowAxisWide && !layout.scene) {
      // Wide: the slider keeps its place under the plot, but below the x axis's tick
      // labels and title however tall they are (plotly makes room in the margin).
      (layout.sliders || []).forEach(function (slider) {
        slider.pad = Object.assign({}, slider.pad, {
          t: Math.max((slider.pad && slider.pad.t) || 0, f.belowAxisWide + 8),
        });
      });
    }
    // Keep the slider where the reader left it.
    if (f.plot && f.plot.layout && f.plot.layout.sliders) {
      (layout.sliders || []).forEach(function (slider, i) {
        var current = f.plot.layout.sliders[i];
        if (current && current.active !== undefined) { slider.active = current.active; }
      });
    }
    var theme = themeUpdate(layout);
    Object.keys(theme).forEach(function (path) {
      var match = /^(sliders|annotations|shapes)\[(\d+)\]\.(.*)$/.exec(path);
      if (match) {
        setPath(layout[match[1]][Number(match[2])], match[3], theme[path]);
      } else {
        setPath(layout, path, theme[path]);
      }
    });
    return layout;
  }

  function hasColorbar(spec) {
    return (spec.data || []).some(function (t) {
      return t.type === "heatmap" && t.showscale !== false;
    });
  }

  function dataFor(f) {
    var current = f.plot && f.plot.data ? f.plot.data : f.spec.data || [];
    return themeData(current).map(function (trace, index) {
      if (/text/.test(trace.mode || "") && trace.type !== "scatter3d") {
        // Labels at the ends of lines stay whole when the plot is narrow.
        trace = Object.assign({}, trace, { cliponaxis: !f.narrow });
      }
      if (trace.type !== "heatmap" || trace.showscale === false) { return trace; }
      var original = (f.spec.data || [])[index] || trace;
      var bar = copy(original.colorbar);
      if (f.narrow && f.colorbarY !== null) {
        Object.assign(bar, {
          orientation: "h", x: 0, xanchor: "left", y: f.colorbarY, yanchor: "top",
          len: 1, lenmode: "fraction", thickness: 12,
        });
        bar.title = Object.assign({}, bar.title, { side: "top" });
      }
      return Object.assign({}, trace, { colorbar: bar });
    });
  }

  // Measures what the narrow layout needs once drawn: room left of the plot for the y
  // axis, right of it for the last x tick label, below it for the x axis, and the
  // legend's height. True when that differs from what was assumed.
  function measure(f) {
    var size = f.plot._fullLayout && f.plot._fullLayout._size;
    if (!size) { return false; }
    if (!f.narrow) { return measureWide(f, size); }
    var origin = f.plot.getBoundingClientRect();
    var left = size.l, right = size.l + size.w, top = size.t, bottom = size.t + size.h;
    var need = { left: 8, right: 0, below: 10 };
    function boxes(selector) {
      return Array.prototype.slice.call(f.plot.querySelectorAll(selector)).map(function (node) {
        var box = node.getBoundingClientRect();
        return box.width || box.height ? {
          l: box.left - origin.left, r: box.right - origin.left,
          t: box.top - origin.top, b: box.bottom - origin.top,
        } : null;
      }).filter(Boolean);
    }
    if (!f.spec.layout.scene) {
      boxes(".ytick text, .g-ytitle text").forEach(function (b) {
        need.left = Math.max(need.left, left - b.l + 6);
      });
      boxes(".xtick text, .g-xtitle text").forEach(function (b) {
        need.right = Math.max(need.right, b.r - right + 6);
        need.below = Math.max(need.below, b.b - bottom + 10);
      });
    }
    var changed = false;
    function update(key, value, assumed) {
      value = Math.ceil(value);
      if (Math.abs(value - (f[key] || assumed)) > 4) {
        f[key] = value;
        changed = true;
      }
    }
    update("leftAxis", Math.max(need.left, 36), 52);
    update("rightAxis", Math.max(need.right, 12), 12);
    if (!f.spec.layout.scene) { update("belowAxis", need.below, 52); }
    var legend = f.plot.querySelector(".legend");
    if (legend && hasLegend(f.spec)) {
      update("legendHeight", legend.getBoundingClientRect().height + 6, 40);
    }
    return changed;
  }

  function draw_(f, width) {
    var layout = layoutFor(f, width); // first: it decides where the colour bar goes
    return Plotly.react(f.plot, dataFor(f), layout, f.config);
  }

  // While a figure is being laid out its container says data-settled="false"; the
  // book's tests wait for "true" before they measure it.
  // Wide figures with a slider: how far below the plot the x axis reaches.
  function measureWide(f, size) {
    if (!(f.spec.layout.sliders || []).length || f.spec.layout.scene) { return false; }
    var origin = f.plot.getBoundingClientRect();
    var bottom = size.t + size.h;
    var below = 0;
    f.plot.querySelectorAll(".xtick text, .g-xtitle text").forEach(function (node) {
      var box = node.getBoundingClientRect();
      if (box.height) { below = Math.max(below, box.bottom - origin.top - bottom); }
    });
    below = Math.ceil(below);
    if (Math.abs(below - (f.belowAxisWide || 0)) > 4) {
      f.belowAxisWide = below;
      return true;
    }
    return false;
  }

  function render(f) {
    var width = f.container.clientWidth || 700;
    var rounds = 0;
    f.pending = (f.pending || 0) + 1;
    f.container.dataset.settled = "false";
    function settle() {
      // Measured room changes the plot's size, and so the room its labels need: a
      // few rounds settle it.
      if (rounds < 6 && measure(f)) {
        rounds += 1;
        return draw_(f, width).then(settle);
      }
      return undefined;
    }
    function done() {
      f.pending -= 1;
      if (!f.pending) { f.container.dataset.settled = "true"; }
    }
    return draw_(f, width).then(settle).then(done, function (error) {
      done();
      throw error;
    });
  }

  // --- sliders from the keyboard ----------------------------------------------------

  function sliderName(slider) {
    var prefix = (slider.currentvalue && slider.currentvalue.prefix) || "";
    return prefix.replace(/[:\s]+$/, "") || slider.name || "slider";
  }

  function moveSlider(f, i, k) {
    var slider = f.plot.layout.sliders[i];
    var step = slider.steps[k];
    var args = step.args || [];
    var active = {};
    active["sliders[" + i + "].active"] = k;
    var done;
    if (step.method === "update") {
      done = Plotly.update(f.plot, copy(args[0]), Object.assign(copy(args[1]), active), args[2]);
    } else if (step.method === "restyle") {
      done = Plotly.restyle(f.plot, copy(args[0]), args[1]).then(function () {
        return Plotly.relayout(f.plot, active);
      });
    } else if (step.method === "relayout") {
      done = Plotly.relayout(f.plot, Object.assign(copy(args[0]), active));
    } else if (step.method === "animate") {
      done = Plotly.animate(f.plot, args[0], args[1]).then(function () {
        return Plotly.relayout(f.plot, active);
      });
    } else {
      done = Plotly.relayout(f.plot, active);
    }
    return done.then(function () {
      var again = f.plot.querySelectorAll("g.slider-container")[i];
      if (again && document.activeElement !== again) { again.focus(); }
    });
  }

  function onSliderKey(f, i, event) {
    var slider = f.plot.layout.sliders[i];
    var last = slider.steps.length - 1;
    var now = slider.active || 0;
    var next = {
      ArrowRight: now + 1, ArrowUp: now + 1, PageUp: now + 1,
      ArrowLeft: now - 1, ArrowDown: now - 1, PageDown: now - 1,
      Home: 0, End: last,
    }[event.key];
    if (next === undefined) { return; }
    event.preventDefault();
    next = Math.max(0, Math.min(last, next));
    if (next !== now) { moveSlider(f, i, next); }
  }

  function labelControls(f) {
    var sliders = (f.plot.layout && f.plot.layout.sliders) || [];
    f.plot.querySelectorAll("g.slider-container").forEach(function (group, i) {
      var slider = sliders[i];
      if (!slider) { return; }
      var active = slider.active || 0;
      group.setAttribute("tabindex", "0");
      group.setAttribute("role", "slider");
      group.setAttribute("aria-label", sliderName(slider));
      group.setAttribute("aria-orientation", "horizontal");
      group.setAttribute("aria-valuemin", "0");
      group.setAttribute("aria-valuemax", String(slider.steps.length - 1));
      group.setAttribute("aria-valuenow", String(active));
      group.setAttribute("aria-valuetext", String(slider.steps[active].label));
      if (!group.psKeys) {
        group.psKeys = true;
        group.addEventListener("keydown", function (event) { onSliderKey(f, i, event); });
      }
    });
  }

  // --- legend entries from the keyboard ----------------------------------------------
  // Each entry is a checkbox (is its trace shown?); Enter or Space does what a click
  // does, through plotly's own click handling.

  function toggleLegendItem(f, item, k) {
    var toggle = item.querySelector(".legendtoggle");
    if (!toggle) { return; }
    var box = toggle.getBoundingClientRect();
    var at = {
      bubbles: true, cancelable: true, view: window, button: 0,
      clientX: box.left + Math.min(5, box.width / 2), clientY: box.top + box.height / 2,
    };
    f.focusLegend = k;
    toggle.dispatchEvent(new MouseEvent("mousedown", Object.assign({ buttons: 1 }, at)));
    toggle.dispatchEvent(new MouseEvent("mouseup", Object.assign({ buttons: 0 }, at)));
  }

  function labelLegend(f) {
    f.plot.querySelectorAll(".legend .traces").forEach(function (item, k) {
      var datum = item.__data__ && item.__data__[0];
      var trace = datum && datum.trace;
      var text = item.querySelector(".legendtext");
      item.setAttribute("tabindex", "0");
      item.setAttribute("role", "checkbox");
      item.setAttribute("aria-checked", trace && trace.visible === "legendonly" ? "false" : "true");
      item.setAttribute("aria-label", "show " + (text ? text.textContent : "this trace"));
      if (!item.psKeys) {
        item.psKeys = true;
        item.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            toggleLegendItem(f, item, k);
          }
        });
      }
      if (f.focusLegend === k && document.activeElement !== item) {
        f.focusLegend = undefined;
        item.focus();
      }
    });
  }

  // --- 3-D scenes from the keyboard --------------------------------------------------
  // The scene takes focus; the arrow keys turn it (left and right around the vertical
  // axis, up and down over it), + and - bring it nearer or further.

  function turnScene(f, event) {
    var layout = f.plot._fullLayout;
    var camera = (layout.scene && layout.scene.camera) || {};
    var eye = camera.eye || { x: 1.25, y: 1.25, z: 1.25 };
    var r = Math.sqrt(eye.x * eye.x + eye.y * eye.y + eye.z * eye.z);
    var azimuth = Math.atan2(eye.y, eye.x);
    var elevation = Math.asin(eye.z / r);
    var step = Math.PI / 12;
    var change = {
      ArrowLeft: [-step, 0, 1], ArrowRight: [step, 0, 1],
      ArrowUp: [0, step, 1], ArrowDown: [0, -step, 1],
      "+": [0, 0, 0.85], "=": [0, 0, 0.85], "-": [0, 0, 1 / 0.85],
    }[event.key];
    if (!change) { return; }
    event.preventDefault();
    azimuth += change[0];
    elevation = Math.max(-1.45, Math.min(1.45, elevation + change[1]));
    r = Math.max(0.8, Math.min(5, r * change[2]));
    Plotly.relayout(f.plot, {
      "scene.camera.eye": {
        x: r * Math.cos(elevation) * Math.cos(azimuth),
        y: r * Math.cos(elevation) * Math.sin(azimuth),
        z: r * Math.sin(elevation),
      },
    });
  }

  function sceneKeys(f) {
    if (!f.spec.layout.scene || f.plot.psKeys) { return; }
    f.plot.psKeys = true;
    f.plot.setAttribute("tabindex", "0");
    f.plot.setAttribute("role", "group");
    f.plot.setAttribute("aria-roledescription", "3-D scene");
    f.plot.setAttribute(
      "aria-label", "3-D scene: the arrow keys turn it, + and - bring it nearer or further"
    );
    f.plot.addEventListener("keydown", function (event) {
      if (event.target === f.plot) { turnScene(f, event); }
    });
  }

  // ---------------------------------------------------------------------------------

  function draw(container) {
    var source = container.querySelector('script[type="application/json"]');
    if (!source || typeof Plotly === "undefined") { return; }
    var plot = document.createElement("div");
    plot.className = "ps-plotly-plot";
    container.appendChild(plot);
    var f = {
      spec: JSON.parse(source.textContent),
      container: container,
      plot: plot,
      config: {
        responsive: true,
        displaylogo: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d"],
      },
    };
    f.spec.frames = f.spec.frames || [];
    figures.push(f);
    render(f).then(function () {
      labelControls(f);
      labelLegend(f);
      sceneKeys(f);
      plot.on("plotly_afterplot", function () {
        labelControls(f);
        labelLegend(f);
      });
    });
  }

  function drawAll() {
    document.querySelectorAll("div.ps-plotly").forEach(draw);
    new MutationObserver(function () {
      figures.forEach(render);
    }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    // Plotly resizes figures itself (responsive); across the breakpoint they are laid
    // out again.
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        figures.forEach(function (f) {
          var narrow = (f.container.clientWidth || 700) < NARROW;
          if (narrow !== f.narrow) { render(f); }
        });
      }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
