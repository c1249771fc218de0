// mirage_nb gallery: the engine in the page. Pyodide (vendored in ./pyodide/) installs the project's own
// wheel and its dependencies with micropip, from ./pyodide/ and its pyodide-lock.json; viz.js (./pyodide/viz-global.js)
// draws the graph. Nothing is fetched from elsewhere.
// Every text from the engine goes into the page through textContent, never as markup.
(function () {
  "use strict";
  var section = document.getElementById("live");
  if (!section) return;
  var status = document.getElementById("live-status");
  var button = document.getElementById("live-describe");
  var engine = null;
  var viz = null;

  function say(text) { status.textContent = text; }

  async function start() {
    var t0 = performance.now();
    say("Loading Python (Pyodide) in this page…");
    var mod = await import("./pyodide/pyodide.mjs");
    var py = await mod.loadPyodide({ indexURL: new URL("./pyodide/", document.baseURI).href });
    say("Installing mirage-nb in this page (micropip, from this site)…");
    await py.loadPackage("micropip");
    await py.pyimport("micropip").install("mirage-nb");
    py.runPython("from mirage_nb.gallery.live import describe_json");
    section.dataset.engineMs = String(Math.round(performance.now() - t0));
    return py.globals.get("describe_json");
  }

  function files(list) {
    var box = document.getElementById("live-files");
    box.replaceChildren();
    list.forEach(function (pair) {
      var d = document.createElement("details");
      var s = document.createElement("summary");
      s.textContent = pair[0];
      var pre = document.createElement("pre");
      pre.className = "file";
      pre.textContent = pair[1];
      d.append(s, pre);
      box.append(d);
    });
  }

  async function describe() {
    button.disabled = true;
    var t0 = performance.now();
    try {
      engine = engine || (await start());
      say("Describing…");
      var answer = JSON.parse(engine(
        document.getElementById("live-config").value,
        document.getElementById("live-target").value,
        document.getElementById("live-keys").value
      ));
      var out = document.getElementById("live-out");
      out.textContent = answer.error === null ? answer.describe : answer.error;
      out.classList.toggle("error", answer.error !== null);
      document.getElementById("live-notices").textContent = answer.notices;
      files(answer.files);
      var graph = document.getElementById("live-graph");
      graph.replaceChildren();
      if (answer.dot) {
        viz = viz || (await window.Viz.instance());
        graph.append(viz.renderSVGElement(answer.dot));
      }
      section.dataset.describes = String(Number(section.dataset.describes || "0") + 1);
      say("Described in the browser in " + Math.round(performance.now() - t0) + " ms.");
    } catch (e) {
      say("The engine failed: " + e);
    } finally {
      button.disabled = false;
    }
  }

  button.addEventListener("click", describe);
  document.getElementById("live-target").addEventListener("change", function () { if (engine) describe(); });
})();
