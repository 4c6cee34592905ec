// Window/level viewer: the image is redrawn here, in the browser, never by Python.
// Used two ways with the same code: as an anywidget module in a live kernel (state synced
// with Python), and inside a self-contained HTML page (book, slides) with a small stand-in
// model (see staticModel below). No network access, no external CSS or fonts.
//
// Data: a volume V[k][r][c] of uint16 codes, value = code * scale + offset (real-world
// units), k = slice (for patient data: inferior -> superior), r = rows, c = columns of the
// "axial" plane. Coronal and sagittal planes are cut from it with superior at the top.

// Sizes in CSS pixels, each one a CSS custom property of the viewer's element that a page
// may set (the slides do: slides/course.css), else the default here: the image's longer
// side, the text drawn on the canvases (orientation letters, scale bar, colour bar and
// histogram labels), the width of the colour bar and histogram, the histogram's height.
const SIZES = { "--bcu-size": 400, "--bcu-label": 11, "--bcu-side": 220,
  "--bcu-histogram": 90 };

function sizesOf(node) {
  const style = getComputedStyle(node), out = {};
  for (const [name, fallback] of Object.entries(SIZES)) {
    const value = parseFloat(style.getPropertyValue(name));
    out[name.slice(6)] = value > 0 ? value : fallback;
  }
  return out; // {size, label, side, histogram}
}

function decodeBase64(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function gunzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// Static pages carry the codes gzip-compressed with the high and low bytes in two planes
// ("byte shuffle"), which compresses 16-bit images much better.
async function volumeFrom(model) {
  const packed = model.get("_volume_b64");
  if (packed) {
    const bytes = await gunzip(decodeBase64(packed));
    const n = bytes.length / 2;
    const codes = new Uint16Array(n);
    for (let i = 0; i < n; i++) codes[i] = bytes[i] | (bytes[n + i] << 8);
    return codes;
  }
  const view = model.get("_volume"); // DataView (anywidget) of little-endian uint16
  const copy = new Uint8Array(view.byteLength);
  copy.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return new Uint16Array(copy.buffer);
}

function el(tag, attrs = {}, parent = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "style") node.style.cssText = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  if (parent) parent.appendChild(node);
  return node;
}

function fmt(x) {
  if (x === 0) return "0";
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(1) : x.toPrecision(3);
}

// The VOI LUT step of DICOM PS3.3 C.11.2, the same as bootcamp_utils.windowing in Python:
// a real-world value x -> a grey level y in [0, 1].
export function voiFunction(fn, center, width) {
  if (fn === "SIGMOID") { // C.11.2.1.3.1
    return (x) => 1 / (1 + Math.exp(-4 * (x - center) / width));
  }
  let c = center, w = width; // LINEAR_EXACT, C.11.2.1.3.2: clip to [c - w/2, c + w/2]
  if (fn !== "LINEAR_EXACT") { c = center - 0.5; w = width - 1; } // LINEAR, C.11.2.1.2.1
  const lo = c - w / 2, hi = c + w / 2;
  return (x) => (x <= lo ? 0 : x > hi ? 1 : (x - c) / w + 0.5);
}

// A VOI LUT Sequence table (C.11.2.1.1): input `first` takes entry 0; inputs below it the
// first entry, past the end the last one; entries run from 0 to 2**bits - 1.
export function voiTable(table) {
  const n = table.data.length, top = 2 ** table.bits - 1;
  return (x) => {
    const i = Math.min(n - 1, Math.max(0, Math.floor(x) - table.first));
    return Math.min(1, Math.max(0, table.data[i] / top));
  };
}

// The grey levels as a table from code to an opaque grey RGBA pixel (one 32-bit write per
// pixel; little-endian: 0xAABBGGRR). Inverted for MONOCHROME1 / Presentation LUT Shape
// INVERSE (the Presentation LUT step, C.11.6).
function buildLut(lut, meta, voi, invert) {
  for (let q = 0; q < lut.length; q++) {
    let y = voi(q * meta.scale + meta.offset);
    if (invert) y = 1 - y;
    const v = Math.round(y * 255);
    lut[q] = (0xff000000 | (v << 16) | (v << 8) | v) >>> 0;
  }
}

function planeGeometry(meta, plane) {
  const [nk, nr, nc] = meta.shape, [sk, sr, sc] = meta.spacing;
  if (plane === "coronal") return { rows: nk, cols: nc, dy: sk, dx: sc, count: nr };
  if (plane === "sagittal") return { rows: nk, cols: nr, dy: sk, dx: sr, count: nc };
  return { rows: nr, cols: nc, dy: sr, dx: sc, count: nk };
}

function fillPlane(codes, meta, plane, index, out) {
  const [nk, nr, nc] = meta.shape;
  if (plane === "axial") {
    out.set(codes.subarray(index * nr * nc, (index + 1) * nr * nc));
  } else if (plane === "coronal") {
    for (let k = 0; k < nk; k++) {
      const src = (nk - 1 - k) * nr * nc + index * nc;
      out.set(codes.subarray(src, src + nc), k * nc);
    }
  } else {
    for (let k = 0; k < nk; k++) {
      const base = (nk - 1 - k) * nr * nc + index, row = k * nr;
      for (let r = 0; r < nr; r++) out[row + r] = codes[base + r * nc];
    }
  }
}

// The keys a focused control of the viewer uses itself: a slider steps with the arrows,
// Page Up/Down, Home and End; a radio button moves with the arrows and Space; a menu also
// takes Space, Enter and letters (type-ahead); a number box every key typed into it but Tab
// and Escape.
const SLIDER_KEYS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown",
  "PageUp", "PageDown", "Home", "End"]);
// In a reveal.js deck these are the deck's, whatever has the focus: what a presenter's
// clicker sends (Page Up/Down, on some the arrows) and Space, reveal.js's "next".
const DECK_KEYS = new Set(["PageUp", "PageDown", "ArrowLeft", "ArrowRight", "ArrowUp",
  "ArrowDown", " "]);
function inDeck(target) {
  return target instanceof Element && target.closest(".bcu-viewer") !== null
    && target.closest(".reveal .slides") !== null;
}
function controlUsesKey(target, event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return false;
  if (!(target instanceof Element) || !target.closest(".bcu-viewer")) return false;
  const tag = target.tagName, type = (target.getAttribute("type") || "").toLowerCase();
  if (tag === "INPUT" && type === "range") return SLIDER_KEYS.has(event.key);
  if (tag === "INPUT" && type === "number") return event.key !== "Tab" && event.key !== "Escape";
  if (tag === "INPUT" && type === "radio") return SLIDER_KEYS.has(event.key) || event.key === " ";
  if (tag === "SELECT") {
    return SLIDER_KEYS.has(event.key) || event.key === "Enter" || event.key.length === 1;
  }
  return false;
}

// The pages the viewer lives in bind some of those keys to their own commands: JupyterLab
// and Notebook 7 in command mode (Lumino shortcuts: ArrowUp/ArrowDown select another cell,
// ArrowLeft/ArrowRight collapse or expand a heading; both prevent the key's default action,
// so the slider did not move; Notebook 7 even listens in the capture phase, before any
// element), reveal.js (arrows, Space, Page Down: another slide; it leaves a focused <input>
// alone, but not a <select>). One listener per page, on the window in the capture phase,
// runs before all of them: when the focused viewer control uses the key, the event goes no
// further, and the control still does what the key means (stopping propagation does not
// prevent the default action). Every other key (Shift+Enter, Escape, Ctrl+S, a key
// pressed while the viewer has no focus) reaches the page as before.
//
// In a reveal.js deck it is the other way round for DECK_KEYS: a presenter who clicked a
// slider and then presses the clicker's "next" means the next slide, not the next slice.
// reveal.js ignores every key while an <input> has the focus, so the listener takes the
// focus away from the control (and keeps the key from stepping it): reveal.js then moves.
function guardKeys() {
  if (window.__bcuViewerKeys) return;
  window.__bcuViewerKeys = true;
  window.addEventListener("keydown", (event) => {
    const target = event.target;
    if (inDeck(target) && DECK_KEYS.has(event.key) && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      target.blur();
      return;
    }
    if (controlUsesKey(target, event)) event.stopPropagation();
  }, true);
}

async function render({ model, el: root }) {
  guardKeys();
  const meta = model.get("_meta");
  const codes = await volumeFrom(model);
  let maxCode = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] > maxCode) maxCode = codes[i];
  const lut = new Uint32Array(maxCode + 1); // only the codes that occur
  const box = el("div", { class: "bcu-viewer", style:
    "font:13px/1.35 system-ui,sans-serif;color:#222;display:inline-block;max-width:100%" }, root);
  const dims = sizesOf(root);
  const title = el("div", { class: "bcu-title", style: "font-weight:600;margin-bottom:4px",
    text: meta.title }, box);
  title.setAttribute("role", "heading");
  title.setAttribute("aria-level", "3");
  const row = el("div", { class: "bcu-row",
    style: "display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start" }, box);
  const canvas = el("canvas", { class: "bcu-image", role: "img",
    "aria-label": `${meta.title}: image with the current window`, style: "background:#000;max-width:100%" }, row);
  const side = el("div", { class: "bcu-side",
    style: `display:flex;flex-direction:column;gap:6px;min-width:${dims.side}px` }, row);
  const barHeight = Math.round(3.1 * dims.label);
  const colorbar = el("canvas", { class: "bcu-colorbar", width: dims.side, height: barHeight,
    style: `width:${dims.side}px;height:${barHeight}px`, role: "img",
    "aria-label": "colour bar of the window" }, side);
  const histogram = el("canvas", { class: "bcu-histogram", width: dims.side,
    height: dims.histogram, style: `width:${dims.side}px;height:${dims.histogram}px`,
    role: "img", "aria-label": "histogram of the values with the window band" }, side);
  const readout = el("div", { class: "bcu-readout", "aria-live": "polite",
    style: "white-space:pre-line" }, side);

  const controls = el("div", { class: "bcu-controls", style: "display:grid;grid-template-columns:auto 1fr auto;gap:2px 6px;align-items:center;margin-top:6px" }, box);
  const uid = Math.random().toString(36).slice(2);
  // A slider, and for the window a number box beside it: the slider moves several units
  // per pixel (the whole range over its width), so a finer way is needed: type a value,
  // step it with the arrow keys (one unit at a time), or drag the slider with Shift held
  // (one unit per pixel: fineDrag).
  function slider(name, label, min, max, step, value, box = false) {
    const lab = el("label", { for: `${uid}-${name}`, text: label }, controls);
    const input = el("input", { id: `${uid}-${name}`, class: `bcu-${name}`, type: "range",
      min, max, step, value }, controls);
    const num = box
      ? el("input", { class: `bcu-${name}-value`, type: "number", min, max, step, value,
        "aria-label": label, style: "width:5.5em;font:inherit;text-align:right" }, controls)
      : el("span", { style: "min-width:4em;text-align:right" }, controls);
    if (box) {
      input.title = "Arrow keys: one step; Shift+drag: one step per pixel";
      fineDrag(input, step);
    }
    return { lab, input, num };
  }
  function fineDrag(input, step) {
    let start = null;
    input.addEventListener("pointerdown", (event) => {
      if (!event.shiftKey || event.button !== 0) return;
      event.preventDefault(); // no jump to where the pointer is
      input.focus();
      input.setPointerCapture(event.pointerId);
      start = { x: event.clientX, value: +input.value };
    });
    input.addEventListener("pointermove", (event) => {
      if (!start) return;
      const value = start.value + Math.round(event.clientX - start.x) * step;
      input.value = Math.min(+input.max, Math.max(+input.min, value));
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    const stop = () => { start = null; };
    input.addEventListener("pointerup", stop);
    input.addEventListener("pointercancel", stop);
  }
  const range = meta.range[1] - meta.range[0];
  const unit = meta.units ? ` (${meta.units})` : "";
  const center = slider("center", `Center${unit}`, meta.range[0], meta.range[1],
    meta.step, model.get("center"), true);
  const width = slider("width", `Width${unit}`, 1, Math.max(2, range * 2), meta.step,
    model.get("width"), true);
  const slice = slider("slice", "Slice", 0, 0, 1, model.get("slice"));

  const extra = el("div", { class: "bcu-extra",
    style: "display:flex;gap:10px;flex-wrap:wrap;margin-top:4px" }, box);
  const presetLabel = el("label", { for: `${uid}-preset`, text: "Preset " }, extra);
  const preset = el("select", { id: `${uid}-preset`, class: "bcu-preset" }, presetLabel);
  // Presets: [label, center, width, function or null] (viewer._preset_menu); the option
  // value is the index. A preset with a function sets it and matches only with it.
  el("option", { value: "", text: "(custom)" }, preset);
  if (meta.voi_lut) el("option", { value: "lut", text: "VOI LUT (header)" }, preset);
  meta.presets.forEach(([name, c, w, fn], i) => {
    const shown = fn && fn !== "LINEAR" ? ` ${fn}` : "";
    el("option", { value: String(i), text: `${name} (${c}/${w}${shown})` }, preset);
  });
  // The option of the window applied: the VOI LUT table, else the first preset with this
  // center and width (and function, if it carries one), else "(custom)".
  function appliedPreset(c, w, fn, useLut) {
    if (useLut) return "lut";
    const same = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
    const i = meta.presets.findIndex(([, pc, pw, pfn]) =>
      same(pc, c) && same(pw, w) && (!pfn || pfn === fn));
    return i < 0 ? "" : String(i);
  }
  const fnLabel = el("label", { for: `${uid}-function`, text: "Function " }, extra);
  const fnSelect = el("select", { id: `${uid}-function`, class: "bcu-function" }, fnLabel);
  for (const name of ["LINEAR", "LINEAR_EXACT", "SIGMOID"]) el("option", { value: name, text: name }, fnSelect);
  let planeInputs = [];
  if (meta.shape[0] > 1 && meta.planes) {
    const group = el("div", { role: "radiogroup", "aria-label": "plane" }, extra);
    planeInputs = ["axial", "coronal", "sagittal"].map((p) => {
      const lab = el("label", { style: "margin-right:6px" }, group);
      const input = el("input", { type: "radio", name: `${uid}-plane`, value: p, class: `bcu-plane-${p}` }, lab);
      lab.appendChild(document.createTextNode(" " + p));
      return input;
    });
  }

  const off = document.createElement("canvas");
  let image = null, plane = "", drawMs = 0, lastWindow = "";

  function drawHistogram(c, w) {
    const ctx = histogram.getContext("2d"), W = histogram.width;
    const H = histogram.height - Math.round(1.3 * dims.label);
    const counts = meta.histogram, n = counts.length, top = Math.max(...counts) || 1;
    ctx.clearRect(0, 0, W, histogram.height);
    const x = (v) => ((v - meta.range[0]) / range) * W;
    ctx.fillStyle = "rgba(255,190,0,0.35)";
    ctx.fillRect(x(c - w / 2), 0, Math.max(1, x(c + w / 2) - x(c - w / 2)), H);
    ctx.fillStyle = "#345";
    for (let i = 0; i < n; i++) {
      const h = (Math.log1p(counts[i]) / Math.log1p(top)) * H;
      ctx.fillRect((i / n) * W, H - h, Math.max(1, W / n), h);
    }
    ctx.fillStyle = "#222"; ctx.font = `${dims.label}px sans-serif`;
    ctx.fillText(fmt(meta.range[0]), 0, histogram.height - 2);
    const right = fmt(meta.range[1]) + " " + meta.units;
    ctx.fillText(right, W - ctx.measureText(right).width, histogram.height - 2);
  }

  function drawColorbar(c, w) {
    const ctx = colorbar.getContext("2d"), W = colorbar.width;
    const grad = ctx.createLinearGradient(0, 0, W, 0);
    grad.addColorStop(0, meta.invert ? "#fff" : "#000");
    grad.addColorStop(1, meta.invert ? "#000" : "#fff");
    const bar = Math.round(1.5 * dims.label), y = colorbar.height - 3;
    ctx.clearRect(0, 0, W, colorbar.height);
    ctx.fillStyle = grad; ctx.fillRect(0, 0, W, bar);
    ctx.strokeStyle = "#888"; ctx.strokeRect(0.5, 0.5, W - 1, bar - 1);
    ctx.fillStyle = "#222"; ctx.font = `${dims.label}px sans-serif`;
    ctx.fillText(fmt(c - w / 2), 0, y);
    const hi = fmt(c + w / 2) + " " + meta.units;
    ctx.fillText(hi, W - ctx.measureText(hi).width, y);
  }

  function setupPlane() {
    plane = model.get("plane");
    const g = planeGeometry(meta, plane);
    const data = new ImageData(g.cols, g.rows);
    image = { g, codes: new Uint16Array(g.rows * g.cols), data,
              pixels: new Uint32Array(data.data.buffer) };
    off.width = g.cols; off.height = g.rows;
    const aspect = (g.rows * g.dy) / (g.cols * g.dx); // height / width in mm
    const cssW = aspect <= 1 ? dims.size : dims.size / aspect;
    const scale = window.devicePixelRatio || 1;
    canvas.style.width = `${cssW}px`; canvas.style.height = `${cssW * aspect}px`;
    canvas.width = Math.round(cssW * scale); canvas.height = Math.round(cssW * aspect * scale);
    slice.input.max = g.count - 1;
    for (const input of planeInputs) input.checked = input.value === plane;
  }

  // The slice shown, numbered as in the source: a static copy keeps one slice in two (or
  // more), a huge volume may be averaged, but index k of this plane stands for the original
  // slices k * stride + 1 to k * stride + span (meta.axes, from viewer.py). In the plane the
  // images were acquired in, a DICOM source adds each slice's Instance Number and position.
  function sliceText(k, count) {
    const m = meta.axes && meta.axes[["axial", "coronal", "sagittal"].indexOf(plane)];
    if (!m) return { number: `${k + 1}/${count}`, details: "" };
    const first = k * m.stride + 1, last = Math.min(m.count, first + m.span - 1);
    const number = `${last > first ? `${first}\u2013${last}` : first}/${m.count}`;
    const info = meta.slices;
    if (!info || m.span > 1 || plane !== meta.acquired) return { number, details: "" };
    const parts = [], instance = info.instance[first - 1], position = info.position[first - 1];
    if (instance !== null && instance !== undefined) parts.push(`Instance ${instance}`);
    if (position !== null && position !== undefined) {
      parts.push(`${info.axis} = ${+position.toFixed(2)} mm`);
    }
    return { number, details: parts.map((p) => ` \u00b7 ${p}`).join("") };
  }

  function draw() {
    const t0 = performance.now();
    if (model.get("plane") !== plane || !image) setupPlane();
    const g = image.g;
    const k = Math.min(g.count - 1, Math.max(0, model.get("slice")));
    const fn = model.get("function") || "LINEAR";
    const useLut = Boolean(model.get("use_lut") && meta.voi_lut);
    const raw = model.get("width");
    const c = model.get("center"), w = fn === "LINEAR" ? Math.max(1, raw) : Math.max(1e-6, raw);
    fillPlane(codes, meta, plane, k, image.codes);
    const windowKey = `${c},${w},${fn},${useLut}`;
    if (windowKey !== lastWindow) {
      buildLut(lut, meta, useLut ? voiTable(meta.voi_lut) : voiFunction(fn, c, w), meta.invert);
    }
    const px = image.pixels, q = image.codes;
    for (let i = 0; i < q.length; i++) px[i] = lut[q[i]];
    off.getContext("2d").putImageData(image.data, 0, 0);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
    // scale bar: 10 mm, 50 mm or 100 mm, whichever is about a fifth of the width
    const mmPerPx = (g.cols * g.dx) / canvas.width;
    const barMm = [5, 10, 20, 50, 100].find((m) => m / mmPerPx > canvas.width / 6) || 100;
    // Text dims.label CSS pixels high (s: canvas pixels per CSS pixel), yellow with a
    // dark outline: legible on bright bone as on air.
    const s = canvas.width / parseFloat(canvas.style.width), L = dims.label * s, W = canvas.width;
    const H = canvas.height, pad = 0.4 * L;
    const text = (words, x, y) => {
      ctx.strokeStyle = "rgba(0,0,0,0.8)"; ctx.lineWidth = 0.2 * L; ctx.lineJoin = "round";
      ctx.strokeText(words, x, y); ctx.fillText(words, x, y);
    };
    ctx.fillStyle = "#ff0"; ctx.font = `${L}px sans-serif`;
    ctx.textBaseline = "alphabetic"; ctx.textAlign = "left";
    const y = H - pad, x0 = W - pad - barMm / mmPerPx;
    ctx.strokeStyle = "#ff0"; ctx.lineWidth = Math.max(2 * s, 0.15 * L);
    ctx.beginPath(); ctx.moveTo(x0, y); ctx.lineTo(W - pad, y); ctx.stroke();
    text(`${barMm} mm`, x0, y - 0.4 * L);
    const labels = meta.labels && meta.labels[plane];
    if (labels) { // orientation letters: left, right, top, bottom
      ctx.font = `bold ${L}px sans-serif`;
      ctx.textBaseline = "middle";
      text(labels[0], pad, H / 2);
      ctx.textAlign = "right"; text(labels[1], W - pad, H / 2);
      ctx.textAlign = "center"; ctx.textBaseline = "top"; text(labels[2], W / 2, pad);
      ctx.textBaseline = "bottom"; text(labels[3], W / 2, H - pad);
      ctx.textAlign = "left"; ctx.textBaseline = "alphabetic";
    }
    // For tests: the size of the text drawn on the image, in CSS pixels.
    root.dataset.labelPx = String(L / s);
    if (windowKey !== lastWindow) {
      drawHistogram(c, w);
      drawColorbar(c, w);
      lastWindow = windowKey;
    }
    center.input.value = c; width.input.value = w; slice.input.value = k;
    // (not while someone types into the box: "4" on the way to "40" stays as typed)
    if (document.activeElement !== center.num) center.num.value = +fmt(c);
    if (document.activeElement !== width.num) width.num.value = +fmt(w);
    const where = sliceText(k, g.count);
    slice.num.textContent = where.number;
    fnSelect.value = fn;
    preset.value = appliedPreset(model.get("center"), raw, fn, useLut);
    const voiText = useLut ? "VOI LUT (header)" : `C ${fmt(c)}  W ${fmt(w)} ${meta.units} ${fn}`;
    readout.textContent = `${voiText}\n${plane} ${where.number}${where.details}`;
    drawMs = performance.now() - t0;
    root.dataset.drawMs = drawMs.toFixed(3);
  }

  function update(name, value) {
    model.set(name, value);
    model.save_changes();
  }
  // Moving a slider or picking a window leaves the header's VOI LUT table for the window.
  function setWindow(values) {
    model.set("use_lut", false);
    for (const [k, v] of Object.entries(values)) model.set(k, v);
    model.save_changes();
  }
  center.input.addEventListener("input", () => setWindow({ center: +center.input.value }));
  width.input.addEventListener("input", () => setWindow({ width: +width.input.value }));
  // A typed value applies as it is typed (once it is a number), within the slider's range.
  for (const [name, control] of [["center", center], ["width", width]]) {
    control.num.addEventListener("input", () => {
      const value = control.num.valueAsNumber;
      if (Number.isFinite(value)) {
        setWindow({ [name]: Math.min(+control.input.max, Math.max(+control.input.min, value)) });
      }
    });
    control.num.addEventListener("change", draw); // leaving the box shows the value applied
  }
  fnSelect.addEventListener("change", () => setWindow({ function: fnSelect.value }));
  slice.input.addEventListener("input", () => update("slice", +slice.input.value));
  preset.addEventListener("change", () => {
    if (!preset.value) { // "(custom)" is no window: the menu goes back to the one applied
      preset.value = appliedPreset(model.get("center"), model.get("width"),
        model.get("function") || "LINEAR", Boolean(model.get("use_lut") && meta.voi_lut));
      return;
    }
    if (preset.value === "lut") { model.set("use_lut", true); model.save_changes(); return; }
    const [, c, w, fn] = meta.presets[Number(preset.value)];
    setWindow(fn ? { center: c, width: w, function: fn } : { center: c, width: w });
  });
  for (const input of planeInputs) {
    input.addEventListener("change", () => {
      const g = planeGeometry(meta, input.value);
      model.set("plane", input.value); model.set("slice", Math.floor(g.count / 2));
      model.save_changes();
    });
  }
  for (const name of ["center", "width", "slice", "plane", "function", "use_lut"]) {
    model.on(`change:${name}`, draw);
  }
  // For tests: the grey level (0-255) of every pixel of the image last drawn, row by row.
  root.bcuGreys = () => Array.from(image.pixels, (p) => p & 0xff);
  // For benchmarks and tests: n redraws after a window ("center") or slice change; returns
  // the mean milliseconds per redraw, image and histogram included.
  root.bcuBenchmark = (n, what = "center") => {
    const count = planeGeometry(meta, model.get("plane")).count;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      if (what === "slice") model.set("slice", (model.get("slice") + 1) % count);
      else model.set("center", model.get("center") + (i % 2 ? 1 : -1));
    }
    return (performance.now() - t0) / n;
  };
  draw();
  root.dataset.ready = "1";
}

// A stand-in for the widget model in static pages: same get/set/on API, no kernel.
export function staticModel(state) {
  const listeners = {};
  return {
    get: (k) => state[k],
    set: (k, v) => { const old = state[k]; state[k] = v; if (old !== v) (listeners[`change:${k}`] || []).forEach((f) => f()); },
    on: (event, f) => { (listeners[event] ||= []).push(f); },
    save_changes: () => {},
  };
}

export default { render };
