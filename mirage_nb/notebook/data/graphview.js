/* mirage_nb graph view: learner/full switch, zoom (buttons, Ctrl+wheel) and drag-to-pan. Shipped with the package; one
   document-wide handler (installed once) serves every graph view, so each output only needs this text. */
(function () {
  "use strict";
  var STEP = 1.25, MIN = 0.05, MAX = 4;
  function natural(svg) {
    if (!svg.dataset.mnbW) {
      var u = { pt: 4 / 3, px: 1, "": 1, in: 96, cm: 96 / 2.54, mm: 96 / 25.4 };
      var parse = function (s) { var m = /^([\d.]+)\s*([a-z]*)$/.exec(s || ""); return m ? parseFloat(m[1]) * (u[m[2]] || 1) : 0; };
      var r = svg.getBoundingClientRect();
      svg.dataset.mnbW = String(parse(svg.getAttribute("width")) || r.width);
      svg.dataset.mnbH = String(parse(svg.getAttribute("height")) || r.height);
    }
    return [parseFloat(svg.dataset.mnbW), parseFloat(svg.dataset.mnbH)];
  }
  function pane(view) { return view.querySelector(".mnb-gv-pane.mnb-gv-shown") || view.querySelector(".mnb-gv-pane"); }
  function setZoom(view, z) {
    z = Math.min(MAX, Math.max(MIN, z));
    view.dataset.mnbZoom = String(z);
    view.querySelectorAll(".mnb-gv-scroll svg").forEach(function (svg) {
      var n = natural(svg);
      svg.style.width = (n[0] * z) + "px";
      svg.style.height = (n[1] * z) + "px";
    });
    var label = view.querySelector(".mnb-gv-zoomlabel");
    if (label) { label.textContent = Math.round(z * 100) + "%"; }
  }
  function zoom(view) { return parseFloat(view.dataset.mnbZoom || "1"); }
  function centre(p) {
    /* The root device is the top node: start with it in the middle of the pane, not at the far left. */
    var box = p.querySelector(".mnb-gv-scroll"), top = null, best = Infinity;
    if (!box) { return; }
    box.querySelectorAll("g.node").forEach(function (g) {
      var r = g.getBoundingClientRect();
      if (r.top < best) { best = r.top; top = r; }
    });
    if (top) {
      var c = box.getBoundingClientRect();
      box.scrollLeft += top.left + top.width / 2 - c.left - box.clientWidth / 2;
    }
  }
  function show(view, name) {
    view.querySelectorAll(".mnb-gv-pane").forEach(function (p) {
      var on = p.dataset.mnbView === name;
      p.classList.toggle("mnb-gv-shown", on);
      if (on && p.nodeName.toLowerCase() === "details") { p.open = true; }
      if (on && !p.dataset.mnbCentred) { p.dataset.mnbCentred = "1"; centre(p); }
    });
    view.querySelectorAll("button[data-mnb-show]").forEach(function (b) {
      var on = b.dataset.mnbShow === name;
      b.classList.toggle("mnb-gv-on", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  function inline(img) {
    /* The SVG travels as an <img> (it survives an untrusted notebook's sanitizer); here, trusted, it is
       put inline so its nodes can be clicked and highlighted. */
    var m = /^data:image\/svg\+xml;base64,(.*)$/.exec(img.getAttribute("src") || "");
    if (!m) { return; }
    try {
      var bin = atob(m[1]), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
      var doc = new DOMParser().parseFromString(new TextDecoder("utf-8").decode(bytes), "image/svg+xml");
      var svg = doc.documentElement;
      if (!svg || svg.nodeName.toLowerCase() !== "svg") { return; }
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", img.getAttribute("alt") || "device graph");
      img.parentNode.replaceChild(document.importNode(svg, true), img);
    } catch (err) { /* keep the image */ }
  }
  function init(view) {
    if (view.classList.contains("mnb-gv-live")) { return; }
    view.querySelectorAll("img.mnb-gv-img").forEach(inline);
    view.classList.add("mnb-gv-live");
    var folded = (view.dataset.mnbFold || "").split(" ").filter(Boolean);
    var full = view.querySelector('.mnb-gv-pane[data-mnb-view="full"]');
    if (full && folded.length) {
      full.querySelectorAll("g.node").forEach(function (g) {
        var t = g.querySelector("title");
        if (t && folded.indexOf(t.textContent.trim()) >= 0) { g.classList.add("mnb-gv-hl"); }
      });
    }
    var first = view.querySelector(".mnb-gv-pane");
    show(view, first ? first.dataset.mnbView : "full");
    setZoom(view, 1);
  }
  function fit(view) {
    var p = pane(view), svg = p && p.querySelector("svg"), box = p && p.querySelector(".mnb-gv-scroll");
    if (!svg || !box) { return; }
    var n = natural(svg);
    setZoom(view, Math.min(1, (box.clientWidth - 2) / n[0]));
  }
  function unfold(view) {
    show(view, "full");
    var hl = view.querySelector('.mnb-gv-pane[data-mnb-view="full"] g.mnb-gv-hl');
    var box = view.querySelector('.mnb-gv-pane[data-mnb-view="full"] .mnb-gv-scroll');
    if (hl && box) {
      var b = hl.getBoundingClientRect(), c = box.getBoundingClientRect();
      box.scrollLeft += b.left - c.left - box.clientWidth / 3;
      box.scrollTop += b.top - c.top - box.clientHeight / 3;
    }
  }
  function onClick(e) {
    var view = e.target.closest && e.target.closest(".mnb-gv");
    if (!view) { return; }
    init(view);
    var b = e.target.closest("button");
    if (b && view.contains(b)) {
      if (b.dataset.mnbShow) { show(view, b.dataset.mnbShow); }
      var act = b.dataset.mnbZoom;
      if (act === "in") { setZoom(view, zoom(view) * STEP); }
      if (act === "out") { setZoom(view, zoom(view) / STEP); }
      if (act === "reset") { setZoom(view, 1); }
      if (act === "fit") { fit(view); }
      return;
    }
    var sum = e.target.closest("summary"), det = sum && sum.parentNode;
    if (det && det.classList && det.classList.contains("mnb-gv-pane")) {
      /* A view that was not live yet (an ipywidgets output runs no script): its pane's summary shows that pane. */
      e.preventDefault();
      show(view, det.dataset.mnbView);
      return;
    }
    if (e.target.closest("g.mnb-fold") && view.__mnbMoved !== true) { unfold(view); }
  }
  var drag = null;
  function onDown(e) {
    var box = e.button === 0 && e.target.closest && e.target.closest(".mnb-gv-scroll");
    if (!box) { return; }
    var view = box.closest(".mnb-gv");
    init(view);
    view.__mnbMoved = false;
    drag = { box: box, view: view, x: e.clientX, y: e.clientY, l: box.scrollLeft, t: box.scrollTop };
  }
  function onMove(e) {
    if (!drag) { return; }
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) {
      drag.view.__mnbMoved = true;
      drag.box.classList.add("mnb-gv-drag");
    }
    drag.box.scrollLeft = drag.l - dx;
    drag.box.scrollTop = drag.t - dy;
    if (drag.view.__mnbMoved) { e.preventDefault(); }
  }
  function onUp() {
    if (!drag) { return; }
    drag.box.classList.remove("mnb-gv-drag");
    var view = drag.view;
    drag = null;
    setTimeout(function () { view.__mnbMoved = false; }, 0);
  }
  function onWheel(e) {
    /* Ctrl (or Cmd) + wheel zooms about the pointer; the wheel alone scrolls, as everywhere else. */
    if (!(e.ctrlKey || e.metaKey)) { return; }
    var box = e.target.closest && e.target.closest(".mnb-gv-scroll"), view = box && box.closest(".mnb-gv");
    if (!view) { return; }
    init(view);
    e.preventDefault();
    var c = box.getBoundingClientRect(), px = e.clientX - c.left, py = e.clientY - c.top;
    var before = zoom(view);
    setZoom(view, before * (e.deltaY < 0 ? STEP : 1 / STEP));
    var k = zoom(view) / before;
    box.scrollLeft = (box.scrollLeft + px) * k - px;
    box.scrollTop = (box.scrollTop + py) * k - py;
  }
  if (!window.__mirageNbGraphView) {
    window.__mirageNbGraphView = { init: init };
    document.addEventListener("click", onClick, true);
    document.addEventListener("mousedown", onDown);
    document.addEventListener("mousemove", onMove);
    document.addEventListener("mouseup", onUp);
    document.addEventListener("wheel", onWheel, { passive: false });
  }
  var me = document.currentScript, own = me && me.closest && me.closest(".mnb-gv");
  if (own) { window.__mirageNbGraphView.init(own); }
  document.querySelectorAll(".mnb-gv:not(.mnb-gv-live)").forEach(function (v) { window.__mirageNbGraphView.init(v); });
})();
