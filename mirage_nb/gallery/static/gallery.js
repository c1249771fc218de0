// mirage_nb gallery: filters on the index, tabs and a pan/zoom graph frame on a page. No dependencies.
(function () {
  "use strict";
  document.body.classList.add("js");

  // --- index: filter cards on device, concept and target -----------------------------------
  var selects = document.querySelectorAll("select[data-filter]");
  function applyFilters() {
    var cards = document.querySelectorAll(".card");
    var shown = 0;
    cards.forEach(function (card) {
      var ok = true;
      selects.forEach(function (sel) {
        if (!sel.value) return;
        var have = (card.getAttribute("data-" + sel.getAttribute("data-filter")) || "").split(" ");
        if (have.indexOf(sel.value) < 0) ok = false;
      });
      card.hidden = !ok;
      if (ok) shown += 1;
    });
    var counter = document.getElementById("shown");
    if (counter) counter.textContent = shown + " of " + cards.length + " shown";
  }
  selects.forEach(function (sel) { sel.addEventListener("change", applyFilters); });

  // --- page: one target at a time ------------------------------------------------------------
  document.querySelectorAll(".tabs button[data-tab]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = button.getAttribute("data-tab");
      document.querySelectorAll(".tabs button[data-tab]").forEach(function (b) {
        var on = b === button;
        b.classList.toggle("active", on);
        b.setAttribute("aria-selected", on ? "true" : "false");
      });
      document.querySelectorAll(".tab-panel").forEach(function (p) {
        p.classList.toggle("active", p.getAttribute("data-target") === target);
      });
    });
  });

  // --- page: evaluated or full graph, zoom buttons, drag to pan -----------------------------
  var scale = 1;
  function natural(svg) {
    if (!svg.dataset.w) {
      svg.dataset.w = parseFloat(svg.getAttribute("width")) || svg.getBoundingClientRect().width;
      svg.dataset.h = parseFloat(svg.getAttribute("height")) || svg.getBoundingClientRect().height;
    }
    return [parseFloat(svg.dataset.w), parseFloat(svg.dataset.h)];
  }
  function zoom() {
    document.querySelectorAll(".graph-frame svg").forEach(function (svg) {
      var wh = natural(svg);
      svg.setAttribute("width", wh[0] * scale + "pt");
      svg.setAttribute("height", wh[1] * scale + "pt");
    });
    var reset = document.querySelector('button[data-zoom="reset"]');
    if (reset) reset.textContent = Math.round(scale * 100) + "%";
  }
  document.querySelectorAll("button[data-zoom]").forEach(function (b) {
    b.addEventListener("click", function () {
      var how = b.getAttribute("data-zoom");
      scale = how === "in" ? scale * 1.25 : how === "out" ? scale / 1.25 : 1;
      zoom();
    });
  });
  function show(which) {
    document.querySelectorAll(".graph-choice").forEach(function (x) {
      x.classList.toggle("active", x.getAttribute("data-graph") === which);
    });
    document.querySelectorAll(".graph-frame").forEach(function (f) {
      f.classList.toggle("active", f.getAttribute("data-graph") === which);
    });
    document.querySelectorAll(".graph-frame.active").forEach(centre);
  }
  document.querySelectorAll(".graph-choice").forEach(function (b) {
    b.addEventListener("click", function () { show(b.getAttribute("data-graph")); });
  });
  // The learner view's folded node unfolds to the evaluated graph (a click, not the end of a drag).
  document.querySelectorAll('.graph-frame[data-graph="learner"] g.mnb-fold').forEach(function (g) {
    g.style.cursor = "pointer";
    g.addEventListener("click", function () { if (!moved) show("eval"); });
  });
  function centre(frame) {
    // A wide graph opens on its middle (the job and the devices it connects), not its left edge.
    frame.scrollLeft = Math.max(0, (frame.scrollWidth - frame.clientWidth) / 2);
  }
  document.querySelectorAll(".graph-frame.active").forEach(centre);
  var moved = false;
  document.querySelectorAll(".graph-frame").forEach(function (frame) {
    var drag = null;
    frame.addEventListener("mousedown", function (ev) {
      drag = { x: ev.clientX, y: ev.clientY, left: frame.scrollLeft, top: frame.scrollTop };
      moved = false;
      frame.style.cursor = "grabbing";
      ev.preventDefault();
    });
    window.addEventListener("mousemove", function (ev) {
      if (!drag) return;
      if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 3) moved = true;
      frame.scrollLeft = drag.left - (ev.clientX - drag.x);
      frame.scrollTop = drag.top - (ev.clientY - drag.y);
    });
    window.addEventListener("mouseup", function () { drag = null; frame.style.cursor = ""; });
  });
})();
