// The views shared by the live and review pages. Each takes the setup message once and then
// frames (the live frame shape; review builds the same shape from its columns).

import { REGION_NAMES, fmt, fmtForce, toUnit } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";
const MM = 1000; // SVG user units are millimetres of the table frame

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

/** The feet force limit where the feet are: a live frame's own (the one the alarm uses at that
 * moment; null when no rule limits the feet force), else the setup's for the region, else the
 * overall one (review frames carry no limit). */
export function limitAt(setup, region, frame = null) {
  if (frame && "limit_n" in frame) return frame.limit_n;
  if (!setup) return null;
  const i = region ? setup.regions.indexOf(region) : -1;
  const own = i >= 0 ? setup.region_limits_n[i] : null;
  return own ?? setup.feet_limit_n;
}

/** Share of the limit as a colour class: under 70 % ok, under 90 % warn, else bad. */
export function shareClass(share) {
  if (share === null || share === undefined || !isFinite(share)) return "";
  return share < 0.7 ? "" : share < 0.9 ? "warn" : "bad";
}

// Width across the body of each region band (m), for the outline; legs are drawn as two.
const WIDTH_M = {
  head: 0.17, neck: 0.11, upper_back: 0.44, lumbar: 0.34, pelvis: 0.38,
  thigh: 0.15, popliteal: 0.12, calf: 0.11, foot: 0.08,
};
const SHORT_NAMES = {
  head: "Head", neck: "Neck", upper_back: "Upper back", lumbar: "Lumbar", pelvis: "Pelvis",
  thigh: "Thigh", popliteal: "Knee", calf: "Calf", foot: "Foot",
};
const LEGS = new Set(["thigh", "popliteal", "calf", "foot"]);
const LEG_GAP_M = 0.03;

/** Top view of the table: body regions, bars with the hands, mat cells, feet, grid heatmap. */
export class TableView {
  constructor(svg) {
    this.svg = svg;
    this.setup = null;
  }

  configure(setup) {
    this.setup = setup;
    const svg = this.svg;
    svg.replaceChildren();
    const rig = setup.rig;
    const L = rig.table.length_m, W = rig.table.width_m;
    const barY = rig.bars ? Math.max(Math.abs(rig.bars.left_y_m), Math.abs(rig.bars.right_y_m)) : W / 2;
    const half = Math.max(barY + 0.09, W / 2 + 0.05);
    // the client's feet may hang over the table's foot end (prone, feet off the end)
    const ends = setup.body ? setup.body.bands.flatMap((b) => b.x_m) : [];
    const x0 = Math.min(0, ...ends) - 0.06, x1 = Math.max(L, ...ends) + 0.06;
    svg.setAttribute("viewBox", `${x0 * MM} ${-half * MM} ${(x1 - x0) * MM} ${2 * half * MM}`);
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    const defs = el("defs", {}, svg);
    const pat = el("pattern", { id: "nogo", width: 24, height: 24, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, defs);
    el("rect", { width: 24, height: 24, fill: "#5a1a1d" }, pat);
    el("rect", { width: 10, height: 24, fill: "#a3262b" }, pat);

    el("rect", { x: 0, y: (-W / 2) * MM, width: L * MM, height: W * MM, rx: 30, fill: "#232a34", stroke: "#3a4350", "stroke-width": 6 }, svg);
    this.bands = {};
    this._drawBody(setup.body);
    // the heatmap over the body outline (transparent where nothing presses)
    this.heat = el("image", { x: 0, y: 0, width: 0, height: 0, preserveAspectRatio: "none", opacity: 0.9, visibility: "hidden" }, svg);
    this._drawBars(rig.bars);
    this._drawMat(rig.mat);
    this.cop = el("g", { visibility: "hidden" }, svg);
    el("path", { d: "M -28 0 L 28 0 M 0 -28 L 0 28", stroke: "#9fb3c8", "stroke-width": 7 }, this.cop);
    this.feet = el("g", { visibility: "hidden" }, svg);
    this.feetRing = el("circle", { r: 55, fill: "#ffffff22", stroke: "#fff", "stroke-width": 10 }, this.feet);
    el("circle", { r: 16, fill: "#fff" }, this.feet);
    this.feetLabel = el("text", { y: -75, "text-anchor": "middle", "font-size": 52, "font-weight": 700, fill: "#fff" }, this.feet);
    this.gridShape = rig.grid;
    if (rig.grid) this._placeHeat(rig.grid);
  }

  _drawBody(body) {
    if (!body) return;
    const g = el("g", {}, this.svg);
    const nogo = new Set(body.no_go);
    const y0 = body.midline_y_m;
    for (const band of body.bands) {
      const w = WIDTH_M[band.region];
      if (!w) continue;
      const [xa, xb] = band.x_m;
      const x = Math.min(xa, xb) * MM, len = Math.abs(xb - xa) * MM;
      const fill = nogo.has(band.region) ? "url(#nogo)" : band.region === "lumbar" ? "#5b4a22" : "#3b4a5e";
      const parts = [];
      const ys = LEGS.has(band.region) ? [y0 - (w + LEG_GAP_M) / 2, y0 + (w + LEG_GAP_M) / 2] : [y0];
      for (const yc of ys) {
        parts.push(el("rect", {
          x, y: (yc - w / 2) * MM, width: len, height: w * MM,
          rx: band.region === "head" ? 60 : 24, fill, stroke: "#0e1116", "stroke-width": 5,
        }, g));
      }
      const label = el("text", {
        x: x + len / 2, y: y0 * MM + 12, "text-anchor": "middle",
        "font-size": 30, fill: "#c9d2dd", "pointer-events": "none",
      }, g);
      label.textContent = len > 90 ? SHORT_NAMES[band.region] || "" : "";
      if (LEGS.has(band.region)) label.setAttribute("y", (y0 + w + 0.05) * MM);
      this.bands[band.region] = parts;
    }
    if (nogo.has("spine")) {
      const [sa, sb] = body.spine_x_m;
      const sp = el("rect", {
        x: Math.min(sa, sb) * MM, y: (y0 - body.spine_half_width_m) * MM,
        width: Math.abs(sb - sa) * MM, height: 2 * body.spine_half_width_m * MM, fill: "url(#nogo)",
      }, g);
      this.bands.spine = [sp];
    }
  }

  _drawBars(bars) {
    this.hands = {};
    this.barText = {};
    if (!bars) return;
    for (const side of ["left", "right"]) {
      const y = bars[`${side}_y_m`] * MM;
      el("line", { x1: bars.head_mount_x_m * MM, x2: bars.foot_mount_x_m * MM, y1: y, y2: y, stroke: "#7d8794", "stroke-width": 14, "stroke-linecap": "round" }, this.svg);
      for (const x of [bars.head_mount_x_m, bars.foot_mount_x_m]) {
        el("rect", { x: x * MM - 14, y: y - 30, width: 28, height: 60, fill: "#4c5563" }, this.svg);
      }
      const hand = el("g", { visibility: "hidden" }, this.svg);
      el("circle", { r: 34, fill: "#4aa3ff", stroke: "#fff", "stroke-width": 6 }, hand);
      this.hands[side] = hand;
      const t = el("text", { x: (bars.foot_mount_x_m + 0.04) * MM, y: y + 14, "font-size": 40, "font-weight": 700, fill: "#dbe6f2" }, this.svg);
      this.barText[side] = t;
    }
  }

  _drawMat(cells) {
    this.cells = [];
    for (const c of cells) {
      const g = el("g", { transform: `translate(${c.x_m * MM} ${c.y_m * MM})` }, this.svg);
      el("rect", { x: -32, y: -32, width: 64, height: 64, rx: 8, fill: "#2f3845", stroke: "#6c7786", "stroke-width": 4 }, g);
      const t = el("text", { y: c.y_m < 0 ? -44 : 70, "text-anchor": "middle", "font-size": 32, fill: "#b8c3cf" }, g);
      this.cells.push(t);
    }
  }

  _placeHeat(grid) {
    const x0 = grid.origin_x_m - grid.pitch_x_m / 2, y0 = grid.origin_y_m - grid.pitch_y_m / 2;
    this.heat.setAttribute("x", x0 * MM);
    this.heat.setAttribute("y", y0 * MM);
    this.heat.setAttribute("width", grid.rows * grid.pitch_x_m * MM);
    this.heat.setAttribute("height", grid.cols * grid.pitch_y_m * MM);
  }

  /** Draw a grid message: 8-bit levels, rows along the table, cols across. */
  grid(msg) {
    if (!this.gridShape || !msg) return;
    const bytes = Uint8Array.from(atob(msg.levels), (ch) => ch.charCodeAt(0));
    const canvas = this._heatCanvas || (this._heatCanvas = document.createElement("canvas"));
    canvas.width = msg.rows;
    canvas.height = msg.cols;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(msg.rows, msg.cols);
    for (let r = 0; r < msg.rows; r++) {
      for (let c = 0; c < msg.cols; c++) {
        const [R, Gr, B, A] = heatColour(bytes[r * msg.cols + c]);
        const o = (c * msg.rows + r) * 4;
        img.data[o] = R; img.data[o + 1] = Gr; img.data[o + 2] = B; img.data[o + 3] = A;
      }
    }
    ctx.putImageData(img, 0, 0);
    this.heat.setAttribute("href", canvas.toDataURL());
  }

  /** Show or blank the heatmap (a stale one blanks: it would pass for the pressure now). */
  showHeat(on) {
    if (this.heat) this.heat.setAttribute("visibility", on ? "visible" : "hidden");
  }

  update(f, units) {
    if (!this.setup) return;
    const setup = this.setup;
    for (const [region, parts] of Object.entries(this.bands)) {
      const on = f && f.region === region;
      for (const p of parts) p.setAttribute("stroke", on ? "#ffffff" : "#0e1116");
      for (const p of parts) p.setAttribute("stroke-width", on ? 12 : 5);
    }
    const feetKnown = f && f.feet_x_m !== null && f.feet_y_m !== null;
    this.feet.setAttribute("visibility", feetKnown ? "visible" : "hidden");
    if (feetKnown) {
      this.feet.setAttribute("transform", `translate(${f.feet_x_m * MM} ${f.feet_y_m * MM})`);
      const limit = limitAt(setup, f.region, f);
      const share = limit && f.feet_n !== null ? f.feet_n / limit : null;
      const cls = f.no_go ? "bad" : shareClass(share);
      this.feetRing.setAttribute("stroke", cls === "bad" ? "#ff3b30" : cls === "warn" ? "#ffb020" : "#3ccf7a");
      this.feetLabel.textContent = fmtForce(f.feet_n, units);
    }
    const copKnown = f && f.cop_x_m !== null && f.cop_y_m !== null;
    this.cop.setAttribute("visibility", copKnown ? "visible" : "hidden");
    if (copKnown) this.cop.setAttribute("transform", `translate(${f.cop_x_m * MM} ${f.cop_y_m * MM})`);
    for (const side of Object.keys(this.hands)) {
      const x = f ? f[`hand_${side}_x_m`] : null;
      const y = setup.rig.bars[`${side}_y_m`];
      this.hands[side].setAttribute("visibility", x === null || x === undefined ? "hidden" : "visible");
      if (x !== null && x !== undefined) this.hands[side].setAttribute("transform", `translate(${x * MM} ${y * MM})`);
      this.barText[side].textContent = `${side === "left" ? "L" : "R"} ${fmtForce(f ? f[`bar_${side}_n`] : null, units)}`;
    }
    const cells = f ? f.mat_cells_n || [] : [];
    this.cells.forEach((t, i) => { t.textContent = fmtForce(cells[i] ?? null, units); });
  }
}

// Heat colours: transparent at zero, then deep violet through orange to pale yellow.
const STOPS = [[0, [40, 10, 80]], [0.35, [170, 40, 120]], [0.7, [245, 120, 50]], [1, [252, 245, 180]]];
function heatColour(level) {
  const v = level / 255;
  if (v < 0.05) return [0, 0, 0, 0]; // noise and creep well below the feet: leave the table clear
  let i = 0;
  while (i < STOPS.length - 2 && v > STOPS[i + 1][0]) i++;
  const [a, ca] = STOPS[i], [b, cb] = STOPS[i + 1];
  const t = (v - a) / (b - a);
  return [0, 1, 2].map((k) => Math.round(ca[k] + t * (cb[k] - ca[k]))).concat([Math.round(255 * Math.min(1, (v - 0.05) * 4))]);
}

/** The big feet-force number with its share of the client's limit as a colour band. */
export class FeetPanel {
  constructor(root) {
    this.root = root;
    this.value = root.querySelector(".value");
    this.unit = root.querySelector(".unit");
    this.fill = root.querySelector(".band .fill");
    this.bandLabel = root.querySelector(".band .label");
    this.region = root.querySelector(".region");
    this.sub = root.querySelector(".sub");
  }

  update(f, setup, units, peak10sN) {
    this.unit.textContent = units;
    const known = f && f.feet_n !== null;
    this.value.textContent = known ? fmtForce(Math.max(0, f.feet_n), units) : "–";
    const unc = f ? f.uncertain || [] : [];
    this.root.classList.toggle("uncertain", !known || unc.length > 0);
    const limit = f ? limitAt(setup, f.region, f) : null;
    const share = known && limit ? Math.max(0, f.feet_n) / limit : null;
    this.fill.style.width = share === null ? "0%" : `${Math.min(share / 1.2, 1) * 100}%`;
    this.fill.className = `fill ${f && f.no_go ? "bad" : shareClass(share)}`;
    this.bandLabel.textContent = share === null ? "" : `${Math.round(share * 100)} % of limit`;
    let region = "Where: –";
    if (f && f.region_text) region = f.region_text;
    else if (f && f.region) region = (f.no_go ? "NO-GO: " : "") + (REGION_NAMES[f.region] || f.region);
    else if (unc.includes("NO_BASELINE")) region = "Waiting for the client baseline";
    else if (unc.includes("FEET_NEAR_ZERO")) region = "Feet off the client";
    this.region.textContent = region;
    // danger only where an alarm rule guards it (region_state "no_go"); "unguarded" is said
    // neutrally: the page never shows a danger without its alarm
    this.region.classList.toggle("nogo", !!(f && f.no_go));
    this.region.dataset.state = (f && f.region_state) || "";
    const parts = [];
    if (limit) parts.push(`limit ${fmtForce(limit, units)} ${units}`);
    else if (f && "limit_n" in f) parts.push("no feet-force limit");
    if (peak10sN !== null && peak10sN !== undefined) parts.push(`peak 10 s ${fmtForce(peak10sN, units)} ${units}`);
    if (f && f.pressure_kpa !== null) parts.push(`${fmt(f.pressure_kpa, 0)} kPa (${(f.pressure_basis || "").replace("profile:", "").replace("_", " ")})`);
    this.sub.textContent = parts.join(" · ");
  }
}

/** Bar load per side, balance and hand positions; support consistency. */
export class BarsPanel {
  constructor(root) {
    this.left = root.querySelector(".bar-left");
    this.right = root.querySelector(".bar-right");
    this.mark = root.querySelector(".balance .mark");
    this.text = root.querySelector(".bars-text");
    this.support = root.querySelector(".support");
    this.supportValue = root.querySelector(".support .big2");
    this.supportText = root.querySelector(".support-text");
    this.mat = root.querySelector(".mat-text");
  }

  update(f, units) {
    this.left.textContent = fmtForce(f ? f.bar_left_n : null, units);
    this.right.textContent = fmtForce(f ? f.bar_right_n : null, units);
    const share = f ? f.bar_left_share : null;
    this.mark.style.left = share === null ? "50%" : `${(1 - share) * 100}%`;
    this.mark.style.visibility = share === null ? "hidden" : "visible";
    const hands = f ? [f.hand_left_x_m, f.hand_right_x_m].map((x) => fmt(x, 2)) : ["–", "–"];
    this.text.textContent = share === null ? "balance –"
      : `L ${Math.round(share * 100)} % · R ${Math.round((1 - share) * 100)} % · hands at ${hands[0]} / ${hands[1]} m`;
    const r = f ? f.support_ratio : null;
    const off = r !== null && r < 0.15; // nobody on the bars or the client
    this.supportValue.textContent = r === null || off ? "–" : `${Math.round(r * 100)} %`;
    this.support.classList.toggle("ok", r !== null && !off && Math.abs(r - 1) <= 0.1);
    this.support.classList.toggle("warn", r !== null && !off && Math.abs(r - 1) > 0.1);
    this.supportText.textContent = r === null ? "bars + feet vs body weight"
      : off ? "therapist off the rig"
      : Math.abs(r - 1) <= 0.1 ? "bars + feet = body weight"
      : r < 1 ? "weight going elsewhere?" : "moving / pushing";
    const cop = f && f.cop_x_m !== null ? ` · CoP ${fmt(f.cop_x_m, 2)}, ${fmt(f.cop_y_m, 2)} m` : "";
    this.mat.textContent = `mat ${fmtForce(f ? f.mat_n : null, units)} ${units}${cop}`;
  }
}

/** The force strip: the last `spanS` seconds of feet force, with the limit that held at each
 * moment (red dashed) and 70 % of it (amber). Points further apart than `gapS` are a gap. */
export class ForceStrip {
  constructor(canvas, { spanS = 30, gapS = Infinity } = {}) {
    this.canvas = canvas;
    this.spanS = spanS;
    this.gapS = gapS;
  }

  /** points: [[t_s, force_n, limit_n?], ...] in time order (a point without its own limit
   * takes limitN); nowS: the right edge (labelled nowLabel); units: kg, lb or N for the axis. */
  draw(points, nowS, limitN, units, nowLabel = "now") {
    const ctx = this._context();
    if (!ctx) return;
    const { w, h } = this;
    const t0 = nowS - this.spanS;
    const shown = points.filter((p) => p[0] >= t0 - 1);
    const limitOf = (p) => (p.length > 2 ? p[2] : limitN);
    let maxV = toUnit(limitN ?? 300, units) * 1.2;
    for (const p of shown) {
      if (p[1] !== null) maxV = Math.max(maxV, toUnit(p[1], units) * 1.1);
      if (limitOf(p)) maxV = Math.max(maxV, toUnit(limitOf(p), units) * 1.1);
    }
    const step = niceStep(maxV / 4);
    maxV = Math.ceil(maxV / step) * step;
    const left = 52, right = 10, top = 10, bottom = 22;
    const X = (t) => left + ((t - t0) / this.spanS) * (w - left - right);
    const Y = (v) => top + (1 - v / maxV) * (h - top - bottom);
    this._axes(ctx, { maxV, step, t0, X, Y, left, right, top, bottom, nowLabel });
    const value = (p) => (p[1] === null ? null : Math.max(0, toUnit(p[1], units)));
    const limit = (k) => (p) => (limitOf(p) ? toUnit(limitOf(p), units) * k : null);
    ctx.setLineDash([3, 5]);
    this._line(ctx, shown, limit(0.7), X, Y, "#ffb020", 1, true);
    ctx.setLineDash([10, 6]);
    this._line(ctx, shown, limit(1), X, Y, "#ff3b30", 2, true);
    ctx.setLineDash([]);
    this._line(ctx, shown, value, X, Y, "#f2f6fa", 2.5, false);
  }

  _context() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, h = c.clientHeight;
    if (!w || !h) return null;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    Object.assign(this, { w, h });
    return ctx;
  }

  _axes(ctx, { maxV, step, t0, X, Y, left, right, top, bottom, nowLabel }) {
    const { w, h } = this;
    ctx.font = "13px DejaVu Sans, sans-serif";
    ctx.fillStyle = "#97a1ae";
    ctx.strokeStyle = "#2c333e";
    ctx.lineWidth = 1;
    for (let v = 0; v <= maxV + 1e-9; v += step) {
      ctx.beginPath(); ctx.moveTo(left, Y(v)); ctx.lineTo(w - right, Y(v)); ctx.stroke();
      ctx.fillText(`${v.toFixed(0)}`, 6, Y(v) + 4);
    }
    const every = w < 500 ? 10 : 5; // fewer time labels where they would run together
    for (let s = 0; s <= this.spanS; s += every) {
      const x = X(t0 + s);
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, h - bottom); ctx.stroke();
      const text = s === this.spanS ? nowLabel : `-${this.spanS - s} s`;
      ctx.fillText(text, Math.min(x - 14, w - right - ctx.measureText(text).width), h - 5);
    }
  }

  /** One polyline through the points' values (valueOf(p), null: none); the pen lifts at an
   * unknown value and across a gap. stepped: hold each value until the next point (a limit). */
  _line(ctx, points, valueOf, X, Y, colour, width, stepped) {
    ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.lineJoin = "round";
    ctx.beginPath();
    let prev = null;
    for (const p of points) {
      const v = valueOf(p);
      const joined = prev && v !== null && p[0] - prev[0] <= this.gapS;
      if (v === null) { prev = null; continue; }
      const x = X(p[0]), y = Y(v);
      if (!joined) ctx.moveTo(x, y);
      else if (stepped) { ctx.lineTo(x, Y(prev[1])); ctx.lineTo(x, y); }
      else ctx.lineTo(x, y);
      prev = [p[0], v];
    }
    ctx.stroke();
  }
}

function niceStep(raw) {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-6))));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}
