// dydet's web page: sends the chosen image to /v1/detect and draws what comes back.
"use strict";
const $ = (id) => document.getElementById(id);
let model = null;       // GET /v1/model
let image = null;       // the chosen File
let bitmap = null;      // its decoded pixels, drawn under the boxes
let pending = null;     // the request in flight, aborted when settings change

const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c",
                 "#008080", "#9a6324", "#800000", "#808000", "#000075", "#e6beff", "#ffe119", "#fabebe"];

async function loadModel() {
  const r = await fetch("v1/model");
  model = await r.json();
  const g = model.gflops;
  $("model").textContent = `${model.model} · ${model.classes.length} classes · ${model.image_size} px · ` +
      `route 1 ${g.route1.toFixed(1)} / route 2 ${g.route2.toFixed(1)} GFLOPs`;
  if (!model.calibration) {
    // without a calibration the slider sets the router threshold itself
    $("speed-label").textContent = "Router threshold (route 1 iff easiness score ≥ threshold)";
    $("speed").value = Math.round(100 * model.defaults.dy_thres);
  }
  $("conf").value = model.defaults.conf;
  showSpeed();
}

function speedQuery() {
  const v = Number($("speed").value) / 100;
  return model && model.calibration ? `easy_ratio=${v}` : `dy_thres=${v}`;
}

function showSpeed() {
  const v = Number($("speed").value);
  $("speed-value").textContent = model && model.calibration
      ? `${v}% of images on route 1 (fast), ${100 - v}% on route 2 (accurate)`
      : `threshold ${(v / 100).toFixed(2)}`;
}

function setState(state, text) {
  document.body.dataset.state = state;
  $("status").textContent = text;
  $("status").className = state === "error" ? "error" : "";
}

async function detect() {
  if (!image) return;
  if (pending) pending.abort();
  const mine = new AbortController();
  pending = mine;
  setState("busy", "detecting…");
  const query = `${speedQuery()}&conf=${encodeURIComponent($("conf").value)}`;
  const t0 = performance.now();
  let body;
  try {
    const r = await fetch(`v1/detect?${query}`, {
      method: "POST", body: image, signal: mine.signal,
      headers: {"Content-Type": image.type || "application/octet-stream"}});
    body = await r.json();
    if (pending !== mine) return;
    if (!r.ok) { setState("error", body.error ? body.error.message : `HTTP ${r.status}`); return; }
  } catch (e) {
    if (e.name !== "AbortError") setState("error", String(e));
    return;
  }
  if (pending !== mine) return; // a newer request replaced this one while its answer was read
  const roundTrip = performance.now() - t0;
  show(body.images[0], body, roundTrip);
}

function show(result, body, roundTrip) {
  if (result.error) { setState("error", result.error); return; }
  if (bitmap) draw(result.detections);
  const route = result.route;
  const rows = [
    ["route", `<span class="route${route}">${route} (${route === 1 ? "easy: first backbone only" : "hard: both backbones"})</span>`],
    ["easiness score", result.score == null ? "–" : result.score.toFixed(4)],
    ["router threshold", body.router_threshold.toFixed(4)],
    ["GFLOPs", result.gflops.toFixed(2)],
    ["server time", `${body.total_ms.toFixed(1)} ms (model ${result.timings.model_ms.toFixed(1)} ms, batch of ${result.batch})`],
    ["round trip", `${roundTrip.toFixed(1)} ms`],
    ["image", `${result.width} × ${result.height}`],
  ];
  $("summary").innerHTML = rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("");
  $("detections").tBodies[0].innerHTML = result.detections.map((d) =>
      `<tr><td>${escapeHtml(d.class_name)}</td><td>${d.confidence.toFixed(3)}</td>` +
      `<td>${d.box.map((x) => Math.round(x)).join(", ")}</td></tr>`).join("");
  document.body.dataset.boxes = String(result.detections.length);
  document.body.dataset.route = String(route);
  setState("done", `${result.detections.length} objects, route ${route}`);
}

function draw(detections) {
  const c = $("canvas");
  c.width = bitmap.width;
  c.height = bitmap.height;
  const g = c.getContext("2d");
  g.drawImage(bitmap, 0, 0);
  const line = Math.max(2, Math.round(Math.max(c.width, c.height) / 300));
  g.lineWidth = line;
  g.font = `${Math.max(12, line * 6)}px system-ui, sans-serif`;
  g.textBaseline = "top";
  for (const d of detections) {
    const [x1, y1, x2, y2] = d.box;
    const colour = PALETTE[d.class_id % PALETTE.length];
    g.strokeStyle = colour;
    g.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const label = `${d.class_name} ${d.confidence.toFixed(2)}`;
    const w = g.measureText(label).width + 6, h = Math.max(12, line * 6) + 4;
    const y = y1 >= h ? y1 - h : y1;
    g.fillStyle = colour;
    g.fillRect(x1, y, w, h);
    g.fillStyle = "#fff";
    g.fillText(label, x1 + 3, y + 2);
  }
  $("placeholder").style.display = "none";
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (ch) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[ch]));
}

async function choose(file) {
  if (!file) return;
  image = file;
  try {
    bitmap = await createImageBitmap(file);
  } catch (e) {
    bitmap = null;
  }
  if (!bitmap) {
    // the browser cannot show it; the server still tells what is wrong with it
    const c = $("canvas"); c.width = 0; c.height = 0;
  }
  detect();
}

$("file").addEventListener("change", (e) => choose(e.target.files[0]));
$("speed").addEventListener("input", showSpeed);
$("speed").addEventListener("change", detect);
$("conf").addEventListener("change", detect);
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); choose(e.dataTransfer.files[0]); });
loadModel().catch((e) => setState("error", "cannot load the model description: " + e));
