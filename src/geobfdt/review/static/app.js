// GeoBFDT review page: image tiles in a depth track, picks as SVG sinusoids, a tadpole track
// and a pick table, all driven by the JSON API of geobfdt/review/app.py. No build step.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const IMAGE_W = 360;      // px of the image track: x = azimuth in degrees
const TADPOLE_W = 180;    // px of the tadpole track: x = dip / 90 * width
const TAIL_PX = 12;
const MARGIN_PX = 600;    // picks and tiles drawn this far beyond the visible part
const ROW_PX = 21;        // height of a pick-table row (style.css)
const TABLE_SLACK_ROWS = 40;

const $ = (id) => document.getElementById(id);
const ui = {
  well: null, state: null, zoom: 100, cmap: null, window: null, threshold: 0,
  selected: null, adding: false, addPoints: [], similar: [], similarFocus: 0, drag: null,
  features: {}, showFeatures: true,
};

// ------------------------------------------------------------------ geometry
const yOf = (depth) => (depth - ui.well.top_m) * ui.zoom;
const depthOf = (y) => ui.well.top_m + y / ui.zoom;
const xOf = (azimuth) => (azimuth / 360) * IMAGE_W;
const azimuthOf = (x) => ((x / IMAGE_W) * 360 + 360) % 360;
const totalPx = () => Math.ceil((ui.well.bottom_m - ui.well.top_m) * ui.zoom);

function curvePath(p) {
  const parts = [];
  for (let az = 0; az <= 360; az += 3) {
    const z = p.depth_m + p.amplitude_m * Math.cos(((az - p.azimuth_deg) * Math.PI) / 180);
    parts.push(`${az ? "L" : "M"}${xOf(az).toFixed(1)} ${yOf(z).toFixed(1)}`);
  }
  return parts.join(" ");
}

function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// ------------------------------------------------------------------ API
function message(text, ok = false) {
  const m = $("message");
  m.textContent = text;
  m.className = ok ? "ok" : "";
}

async function api(method, url, body) {
  const opts = { method, headers: {} };
  if (method !== "GET") {
    opts.headers["If-Match"] = `"${ui.state.version}"`;
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body || {});
  }
  const response = await fetch(url, opts);
  const data = await response.json();
  if (response.status === 409) {
    setState(data.state);
    message("The review was changed in another tab: reloaded, please redo your last change.");
    return null;
  }
  if (!response.ok) {
    message(data.error || `error ${response.status}`);
    return null;
  }
  if (data.state) setState(data.state);
  message("saved", true);
  return data;
}

function setState(state) {
  ui.state = state;
  if (ui.selected && !pickById(ui.selected)) ui.selected = null;
  $("undo-btn").disabled = !state.can_undo;
  $("redo-btn").disabled = !state.can_redo;
  renderTable();
  renderPicks();
}

const pickById = (id) => ui.state.picks.find((p) => p.id === id);
const shown = (p) => p.score === null || p.score >= ui.threshold || p.status === "manual";
const visiblePicks = () => ui.state.picks.filter(shown).sort((a, b) => a.depth_m - b.depth_m);

// ------------------------------------------------------------------ drawing
function visibleRange() {
  const s = $("scroller");
  return [s.scrollTop - MARGIN_PX, s.scrollTop + s.clientHeight + MARGIN_PX];
}

function renderTiles() {
  const [lo, hi] = visibleRange();
  const first = Math.max(0, Math.floor(lo / ui.well.tile_px));
  const last = Math.min(Math.ceil(totalPx() / ui.well.tile_px) - 1, Math.floor(hi / ui.well.tile_px));
  const tiles = $("tiles");
  const key = `${ui.zoom}/${ui.cmap}/${ui.window}`;
  for (const img of [...tiles.children]) {
    const i = Number(img.dataset.index);
    if (img.dataset.key !== key || i < first - 2 || i > last + 2) img.remove();
  }
  // the tiles on screen first, then those just above and below
  const s = $("scroller");
  const centre = (s.scrollTop + s.clientHeight / 2) / ui.well.tile_px;
  const wanted = [];
  for (let i = first; i <= last; i++) wanted.push(i);
  wanted.sort((a, b) => Math.abs(a + 0.5 - centre) - Math.abs(b + 0.5 - centre));
  for (const i of wanted) {
    if (tiles.querySelector(`img[data-index="${i}"]`)) continue;
    const img = document.createElement("img");
    img.dataset.index = i;
    img.dataset.key = key;
    img.style.top = `${i * ui.well.tile_px}px`;
    img.style.height = `${ui.well.tile_px}px`;
    img.alt = "";
    img.addEventListener("load", () => { window.reviewTilesLoaded = (window.reviewTilesLoaded || 0) + 1; });
    img.src = `/api/tile?zoom=${ui.zoom}&index=${i}&cmap=${encodeURIComponent(ui.cmap)}&window=${ui.window}`;
    tiles.appendChild(img);
  }
}

function niceStep(minMetres) {
  for (const s of [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500]) if (s >= minMetres) return s;
  return 1000;
}

function renderAxis() {
  const axis = $("axis");
  axis.replaceChildren();
  const [lo, hi] = visibleRange();
  const step = niceStep(40 / ui.zoom);
  const start = Math.ceil(depthOf(Math.max(lo, 0)) / step) * step;
  for (let d = start; d <= Math.min(depthOf(hi), ui.well.bottom_m); d += step) {
    const tick = document.createElement("div");
    tick.className = "tick";
    tick.style.top = `${yOf(d)}px`;
    tick.textContent = d.toFixed(step < 1 ? 1 : 0);
    axis.appendChild(tick);
  }
  for (const [top, bottom] of ui.state.intervals) {
    const bar = document.createElement("div");
    bar.className = "reviewed";
    bar.title = `reviewed ${top.toFixed(2)}-${bottom.toFixed(2)} m`;
    bar.style.top = `${yOf(top)}px`;
    bar.style.height = `${Math.max(1, (bottom - top) * ui.zoom)}px`;
    axis.appendChild(bar);
  }
}

function renderPicks() {
  if (!ui.well) return;
  const overlay = $("overlay");
  const tadpoles = $("tadpoles");
  overlay.replaceChildren();
  tadpoles.replaceChildren();
  const [lo, hi] = visibleRange();
  for (let dip = 0; dip <= 90; dip += 30) {
    const x = (dip / 90) * (TADPOLE_W - 10) + 5;
    el("line", { class: "grid", x1: x, x2: x, y1: Math.max(lo, 0), y2: Math.min(hi, totalPx()) }, tadpoles);
  }
  const drawn = ui.drag ? [ui.drag.preview] : [];
  for (const p of visiblePicks()) {
    const y = yOf(p.depth_m);
    if (y + p.amplitude_m * ui.zoom < lo || y - p.amplitude_m * ui.zoom > hi) continue;
    if (ui.drag && ui.drag.preview.id === p.id) continue;
    drawn.push(p);
  }
  for (const p of drawn) {
    const g = el("g", { class: `pick ${p.type} ${p.status}${p.id === ui.selected ? " selected" : ""}`,
      "data-pick-id": p.id }, overlay);
    const opacity = p.score === null ? 1 : 0.35 + 0.65 * p.score;
    el("path", { class: "curve", d: curvePath(p), "stroke-opacity": opacity }, g);
    const hit = el("path", { class: "hit", d: curvePath(p) }, g);
    hit.addEventListener("mousedown", (e) => startDrag(e, p, "body"));
    const t = el("g", { class: `tadpole ${p.type}${p.id === ui.selected ? " selected" : ""}`, "data-pick-id": p.id,
      opacity }, tadpoles);
    const y = yOf(p.depth_m);
    const tx = (p.dip_deg / 90) * (TADPOLE_W - 10) + 5;
    const a = (p.azimuth_deg * Math.PI) / 180;
    el("line", { x1: tx, y1: y, x2: tx + TAIL_PX * Math.sin(a), y2: y - TAIL_PX * Math.cos(a) }, t);
    el("circle", { cx: tx, cy: y, r: 3.5 }, t);
    t.addEventListener("click", () => select(p.id, false));
  }
  const sel = ui.drag ? ui.drag.preview : ui.selected && pickById(ui.selected);
  if (sel) {
    const handle = el("circle", { class: "handle handle-trough", "data-pick-id": sel.id, r: 6,
      cx: xOf(sel.azimuth_deg), cy: yOf(sel.depth_m + sel.amplitude_m) }, overlay);
    handle.addEventListener("mousedown", (e) => startDrag(e, sel, "trough"));
  }
  ui.similar.forEach((c, i) => {
    const g = el("g", { class: `candidate${i === ui.similarFocus ? " focused" : ""}`, "data-candidate-id": c.id }, overlay);
    el("path", { class: "curve", d: curvePath(c) }, g);
  });
  for (const [az, z] of ui.addPoints) el("circle", { class: "point", cx: xOf(az), cy: yOf(z), r: 4 }, overlay);
}

// vugs (circles of their equivalent diameter), breakout lobes (bands), induced fractures (lines),
// from /api/features (geobfdt review --features); drawn under the picks, never clickable
function renderFeatures() {
  const layer = $("features-overlay");
  layer.replaceChildren();
  if (!ui.showFeatures) return;
  const [lo, hi] = visibleRange();
  const shown = (top, bottom) => yOf(bottom) >= lo && yOf(top) <= hi;
  for (const [depth, azimuth, diameterMm] of ui.features.vugs || []) {
    if (!shown(depth, depth)) continue;
    const r = Math.max(2, (diameterMm / 1000 / 2) * ui.zoom);
    el("circle", { class: "vug", cx: xOf(azimuth), cy: yOf(depth), r: r + 2 }, layer);
  }
  for (const [top, bottom, az1, az2, width] of ui.features.breakouts || []) {
    if (!shown(top, bottom)) continue;
    for (const az of [az1, az2]) {
      for (const shift of [-360, 0, 360]) {  // a lobe across the 0/360 seam shows on both edges
        el("rect", { class: "breakout", x: xOf(az - width / 2 + shift), width: xOf(width), y: yOf(top),
          height: Math.max(1, (bottom - top) * ui.zoom) }, layer);
      }
    }
  }
  for (const [top, bottom, azimuth] of ui.features.induced || []) {
    if (!shown(top, bottom)) continue;
    el("line", { class: "induced", x1: xOf(azimuth), x2: xOf(azimuth), y1: yOf(top), y2: yOf(bottom) }, layer);
  }
}

function toggleFeatures() {
  ui.showFeatures = !ui.showFeatures;
  $("show-features").checked = ui.showFeatures;
  renderFeatures();
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// The table is virtual: only the rows near its scroll position exist (a whole-well table of
// thousands of rows takes seconds to lay out), between two spacers of the right height.
function renderTable() {
  ui.tableRows = visiblePicks();
  // the Again column only where some pick was checked against implanted copies (inject-test, --self-calibrate)
  $("pick-table").classList.toggle("with-again", ui.state.picks.some((p) => p.found_again !== null));
  renderTableWindow();
}

// found_again: the share of the implanted copies that found the pick again; "no": lost, review it first
const againText = (f) => (f === null ? "" : f >= 1 ? "yes" : f <= 0 ? "no" : f.toFixed(2));

function renderTableWindow() {
  const side = $("side");
  const rows = ui.tableRows || [];
  const first = Math.max(0, Math.floor(side.scrollTop / ROW_PX) - TABLE_SLACK_ROWS);
  const last = Math.min(rows.length, first + Math.ceil(side.clientHeight / ROW_PX) + 2 * TABLE_SLACK_ROWS);
  const html = [`<tr class="spacer" style="height:${first * ROW_PX}px"></tr>`];
  const td = (t) => `<td>${escapeHtml(t)}</td>`;
  for (const p of rows.slice(first, last)) {
    const cells = [p.depth_m.toFixed(3), p.dip_deg.toFixed(1), p.azimuth_deg.toFixed(1), p.type,
      p.score === null ? "" : p.score.toFixed(2)].map(td).join("")
      + `<td class="again">${escapeHtml(againText(p.found_again))}</td>` + td(p.status);
    html.push(`<tr data-pick-id="${escapeHtml(p.id)}" class="${escapeHtml(p.status)}` +
      `${p.id === ui.selected ? " selected" : ""}">${cells}</tr>`);
  }
  html.push(`<tr class="spacer" style="height:${(rows.length - last) * ROW_PX}px"></tr>`);
  document.querySelector("#pick-table tbody").innerHTML = html.join("");
}

function showRow(id) {
  const i = (ui.tableRows || []).findIndex((p) => p.id === id);
  if (i < 0) return;
  const side = $("side");
  const header = ROW_PX + 4;
  if (i * ROW_PX < side.scrollTop || (i + 1) * ROW_PX + header > side.scrollTop + side.clientHeight) {
    side.scrollTop = Math.max(0, i * ROW_PX - side.clientHeight / 2);
  }
  renderTableWindow();
}

function renderAll() {
  $("tracks").style.height = `${totalPx()}px`;
  for (const id of ["overlay", "features-overlay", "tadpoles"]) {
    $(id).setAttribute("height", totalPx());
    $(id).setAttribute("width", id === "tadpoles" ? TADPOLE_W : IMAGE_W);
  }
  renderTiles();
  renderAxis();
  renderFeatures();
  renderPicks();
}

let frameQueued = false;
function onScroll() {
  if (frameQueued) return;
  frameQueued = true;
  requestAnimationFrame(() => {
    frameQueued = false;
    renderTiles();
    renderAxis();
    renderFeatures();
    renderPicks();
  });
}

// ------------------------------------------------------------------ navigation
function scrollToDepth(depth) {
  const s = $("scroller");
  s.scrollTop = Math.max(0, yOf(depth) - s.clientHeight / 2);
  renderAll();
}

function select(id, scroll) {
  ui.selected = id;
  const p = pickById(id);
  if (p && scroll) scrollToDepth(p.depth_m);
  renderPicks();
  showRow(id);
}

function step(direction) {
  const picks = visiblePicks();
  if (!picks.length) return;
  let i = picks.findIndex((p) => p.id === ui.selected);
  i = i < 0 ? (direction > 0 ? 0 : picks.length - 1) : Math.min(picks.length - 1, Math.max(0, i + direction));
  select(picks[i].id, true);
}

function setZoom(zoom) {
  const s = $("scroller");
  const centre = depthOf(s.scrollTop + s.clientHeight / 2);
  ui.zoom = zoom;
  $("zoom").value = zoom;
  scrollToDepth(centre);
}

// ------------------------------------------------------------------ editing
async function setStatus(status) {
  if (!ui.selected) return;
  const id = ui.selected;
  const done = await api("PATCH", `/api/picks/${id}`, { status });
  if (done && status === "accepted") await showSimilar(id);
}

async function setType(type) {
  const p = ui.selected && pickById(ui.selected);
  if (!p) return;
  await api("PATCH", `/api/picks/${p.id}`, { type: type || (p.type === "fracture" ? "bedding" : "fracture") });
}

async function deleteSelected() {
  if (!ui.selected) return;
  const picks = visiblePicks();
  const i = picks.findIndex((p) => p.id === ui.selected);
  const done = await api("DELETE", `/api/picks/${ui.selected}`);
  if (done) ui.selected = picks[i + 1] ? picks[i + 1].id : null;
  renderAll();
}

function eventPoint(e) {
  const box = $("image-track").getBoundingClientRect();
  return [e.clientX - box.left, e.clientY - box.top];
}

function startDrag(e, pick, kind) {
  if (ui.adding || e.button !== 0) return;
  e.preventDefault();
  e.stopPropagation();
  const [x, y] = eventPoint(e);
  ui.drag = { kind, pick, x, y, moved: false, preview: { ...pick } };
}

function onMouseMove(e) {
  const d = ui.drag;
  if (!d) return;
  const [x, y] = eventPoint(e);
  if (Math.abs(x - d.x) + Math.abs(y - d.y) > 3) d.moved = true;
  if (!d.moved) return;
  const p = { ...d.pick };
  if (d.kind === "body") {          // translate: the grabbed point follows the mouse
    p.depth_m = d.pick.depth_m + (y - d.y) / ui.zoom;
    p.azimuth_deg = (((d.pick.azimuth_deg + ((x - d.x) / IMAGE_W) * 360) % 360) + 360) % 360;
  } else {                          // the deepest point follows the mouse: dip and azimuth change
    p.azimuth_deg = azimuthOf(x);
    p.amplitude_m = depthOf(y) - d.pick.depth_m;
  }
  d.preview = p;
  renderPicks();
}

async function onMouseUp() {
  const d = ui.drag;
  if (!d) return;
  ui.drag = null;
  if (!d.moved) {
    select(d.pick.id, false);
    return;
  }
  ui.selected = d.pick.id;
  const p = d.preview;
  await api("PATCH", `/api/picks/${p.id}`, { depth_m: p.depth_m, amplitude_m: p.amplitude_m, azimuth_deg: p.azimuth_deg });
  renderAll();
}

function startAdding() {
  ui.adding = true;
  ui.addPoints = [];
  $("image-track").classList.add("adding");
  message("New pick: click three points on the trace (Esc cancels).", true);
}

function stopAdding() {
  ui.adding = false;
  ui.addPoints = [];
  $("image-track").classList.remove("adding");
  renderPicks();
}

async function onImageClick(e) {
  if (!ui.adding) return;
  const [x, y] = eventPoint(e);
  ui.addPoints.push([azimuthOf(x), depthOf(y)]);
  renderPicks();
  if (ui.addPoints.length < 3) return;
  const points = ui.addPoints;
  stopAdding();
  const done = await api("POST", "/api/picks", { points, type: $("add-type").value });
  if (done) {
    ui.selected = done.id;
    renderAll();
    await showSimilar(done.id);
  }
}

async function markReviewed() {
  const s = $("scroller");
  await api("POST", "/api/intervals", { top_m: depthOf(s.scrollTop), bottom_m: depthOf(s.scrollTop + s.clientHeight) });
  renderAll();
}

// ------------------------------------------------------------------ pick similar
async function showSimilar(id) {
  if (!ui.well.candidates) return;
  const response = await fetch(`/api/similar/${id}`);
  if (!response.ok) return;
  ui.similar = (await response.json()).candidates;
  ui.similarFocus = 0;
  renderSimilar();
}

function renderSimilar() {
  const list = $("similar-list");
  list.replaceChildren();
  $("similar").hidden = ui.similar.length === 0;
  ui.similar.forEach((c, i) => {
    const li = document.createElement("li");
    li.dataset.candidateId = c.id;
    li.className = i === ui.similarFocus ? "focused" : "";
    li.textContent = `${c.depth_m.toFixed(3)} m  dip ${c.dip_deg.toFixed(1)}  azi ${c.azimuth_deg.toFixed(1)}  ` +
      `${c.type}  score ${c.score.toFixed(2)}`;
    li.addEventListener("click", () => { ui.similarFocus = i; renderSimilar(); scrollToDepth(c.depth_m); });
    list.appendChild(li);
  });
  renderPicks();
}

async function decideCandidate(decision) {
  const c = ui.similar[ui.similarFocus];
  if (!c) return;
  const done = await api("POST", `/api/candidates/${c.id}`, { decision });
  if (!done) return;
  ui.similar.splice(ui.similarFocus, 1);
  ui.similarFocus = Math.min(ui.similarFocus, ui.similar.length - 1);
  renderSimilar();
  if (ui.similar[ui.similarFocus]) scrollToDepth(ui.similar[ui.similarFocus].depth_m);
}

// ------------------------------------------------------------------ export, undo
async function exportPicks() {
  const fmt = $("export-format").value;
  const response = await fetch(`/api/export/${fmt}`, { method: "POST" });
  if (!response.ok) {
    message((await response.json()).error);
    return;
  }
  const name = response.headers.get("X-Written-To");
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
  message(`exported ${name} (also written beside the review file)`, true);
}

async function undoRedo(which) {
  await api("POST", `/api/${which}`);
  renderAll();
}

// ------------------------------------------------------------------ keyboard
function onKey(e) {
  if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") {
    if (e.key === "Enter" && e.target.id === "jump") scrollToDepth(Number(e.target.value));
    if (e.key === "Escape") e.target.blur();
    return;
  }
  const help = $("help");
  const key = e.key;
  if ((e.ctrlKey || e.metaKey) && (key === "z" || key === "y" || key === "Z")) {
    e.preventDefault();
    undoRedo(key === "z" ? "undo" : "redo");
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const actions = {
    j: () => step(1), ArrowDown: () => step(1), k: () => step(-1), ArrowUp: () => step(-1),
    a: () => setStatus("accepted"), r: () => setStatus("rejected"), t: () => setType(null),
    f: () => setType("fracture"), b: () => setType("bedding"), x: deleteSelected, Delete: deleteSelected,
    n: startAdding, s: () => ui.selected && showSimilar(ui.selected), y: () => decideCandidate("accepted"),
    d: () => decideCandidate("rejected"), m: markReviewed, u: () => undoRedo("undo"), U: () => undoRedo("redo"),
    g: () => $("jump").focus(), "+": () => zoomStep(1), "=": () => zoomStep(1), "-": () => zoomStep(-1),
    v: toggleFeatures,
    "?": () => { help.hidden = !help.hidden; },
    Escape: () => { help.hidden = true; stopAdding(); ui.similar = []; renderSimilar(); },
  };
  if (actions[key]) {
    e.preventDefault();
    actions[key]();
  }
}

function zoomStep(direction) {
  const zooms = ui.well.zooms;
  const i = Math.min(zooms.length - 1, Math.max(0, zooms.indexOf(ui.zoom) + direction));
  setZoom(zooms[i]);
}

// ------------------------------------------------------------------ start
function fillSelect(id, values, chosen, label = (v) => v) {
  const select = $(id);
  for (const v of values) {
    const option = document.createElement("option");
    option.value = v;
    option.textContent = label(v);
    select.appendChild(option);
  }
  select.value = chosen;
}

async function start() {
  // well and state in parallel: one round trip less before the first tiles are asked for
  const [well, state, features] = await Promise.all([fetch("/api/well"), fetch("/api/state"),
    fetch("/api/features")]);
  ui.well = await well.json();
  ui.state = await state.json();
  ui.features = await features.json();
  $("features-toggle").hidden = Object.keys(ui.features).length === 0;
  ({ cmap: ui.cmap, window: ui.window, zoom: ui.zoom } = ui.well.defaults);  // the tiles the server warmed
  $("well-name").textContent = `${ui.well.name} ${ui.well.top_m.toFixed(1)}–${ui.well.bottom_m.toFixed(1)} m`;
  document.title = `GeoBFDT review: ${ui.well.name}`;
  fillSelect("zoom", ui.well.zooms, ui.zoom, (z) => `${z} px/m`);
  fillSelect("cmap", ui.well.colour_maps, ui.cmap);
  fillSelect("window", ui.well.windows_m, ui.window, (w) => `${w} m`);
  fillSelect("add-type", ui.well.types, ui.well.types[0]);
  fillSelect("export-format", ui.well.export_formats, ui.well.export_formats[0]);
  $("jump").min = ui.well.top_m;
  $("jump").max = ui.well.bottom_m;
  $("image-track").style.width = `${IMAGE_W}px`;
  renderAll();  // asks for the tiles on screen first
  setState(ui.state);

  $("scroller").addEventListener("scroll", onScroll);
  $("side").addEventListener("scroll", () => requestAnimationFrame(renderTableWindow));
  window.addEventListener("resize", onScroll);
  document.addEventListener("keydown", onKey);
  document.addEventListener("mousemove", onMouseMove);
  document.addEventListener("mouseup", onMouseUp);
  $("image-track").addEventListener("click", onImageClick);
  document.querySelector("#pick-table tbody").addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-pick-id]");
    if (row) select(row.dataset.pickId, true);
  });
  $("zoom").addEventListener("change", (e) => setZoom(Number(e.target.value)));
  $("cmap").addEventListener("change", (e) => { ui.cmap = e.target.value; renderTiles(); });
  $("window").addEventListener("change", (e) => { ui.window = Number(e.target.value); renderTiles(); });
  $("threshold").addEventListener("input", (e) => {
    ui.threshold = Number(e.target.value);
    $("threshold-value").textContent = ui.threshold.toFixed(2);
    renderTable();
    renderPicks();
  });
  $("add-btn").addEventListener("click", startAdding);
  $("mark-btn").addEventListener("click", markReviewed);
  $("undo-btn").addEventListener("click", () => undoRedo("undo"));
  $("redo-btn").addEventListener("click", () => undoRedo("redo"));
  $("export-btn").addEventListener("click", exportPicks);
  $("show-features").addEventListener("change", toggleFeatures);
  $("help-btn").addEventListener("click", () => { $("help").hidden = false; });
  $("help").addEventListener("click", () => { $("help").hidden = true; });
  window.reviewReady = true;
}

start().catch((err) => message(`cannot load the review: ${err}`));
