// Two sessions compared: feet force with each one's limit (overlaid on one time axis aligned
// at the start or at a chosen moment, or side by side), time and peak per body region on
// each client's body, the feet paths, bar balance and the table of differences.

import { REGION_NAMES, durationText, fmtForce } from "./common.js";
import { drawForceChart } from "./review_timeline.js";

export const COLOURS = ["#4aa3ff", "#ff9f40"];
const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

/** "m:ss" or "h:mm:ss" to seconds; null when it is not a time. */
export function parseTime(text) {
  const parts = String(text).trim().split(":").map(Number);
  if (!parts.length || parts.some((x) => !Number.isFinite(x) || x < 0)) return null;
  return parts.reduce((acc, x) => acc * 60 + x, 0);
}

/** A figure in the page's terms: forces in the studio's unit, times in s, shares in %. */
export function fmtFigure(v, unit, units) {
  if (v === null || v === undefined) return "–";
  if (unit === "N") return `${fmtForce(v, units)} ${units}`;
  if (unit === "s") return `${v.toFixed(1)} s`;
  if (unit === "share") return `${Math.round(v * 100)} %`;
  return String(v);
}

export class ComparePanel {
  constructor(root) {
    this.root = root;
    this.charts = root.querySelector("#cmp-charts");
    this.table = root.querySelector("#cmp-table");
    this.bodies = root.querySelector("#cmp-bodies");
  }

  /** a, b: review payloads; rows: the differences; layout "overlay" | "side"; offsetS: b's shift. */
  draw(a, b, rows, layout, offsetS, units) {
    const t0 = (d) => d.overview.t_s.length ? d.overview.t_s[0] : d.session.started_s;
    const ser = [
      { overview: a.overview, t0: t0(a), offset_s: 0, colour: COLOURS[0] },
      { overview: b.overview, t0: t0(b), offset_s: offsetS, colour: COLOURS[1] },
    ];
    const span = Math.max(a.session.duration_s || 1, (b.session.duration_s || 1) + Math.max(offsetS, 0));
    this.charts.replaceChildren();
    const groups = layout === "side" ? [[ser[0]], [{ ...ser[1], offset_s: 0 }]] : [ser];
    for (const g of groups) {
      const c = document.createElement("canvas");
      this.charts.appendChild(c);
      drawForceChart(c, g, span, units);
    }
    this._table(a, b, rows, units);
    this._bodies([a, b], units);
    this._path([a, b]);
    this._balance(ser, span);
  }

  _table(a, b, rows, units) {
    const head = document.createElement("tr");
    for (const [text, colour] of [["", null], [`#${a.session.id}`, COLOURS[0]], [`#${b.session.id}`, COLOURS[1]], ["difference", null]]) {
      const th = document.createElement("th");
      if (colour) { const sw = document.createElement("span"); sw.className = "swatch"; sw.style.background = colour; th.appendChild(sw); }
      th.appendChild(document.createTextNode(text));
      head.appendChild(th);
    }
    const body = rows.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.key = r.key;
      const diff = r.diff === null ? "–" : (r.diff > 0 ? "+" : "") + fmtFigure(r.diff, r.unit, units);
      for (const [text, cls] of [[r.label, ""], [fmtFigure(r.a, r.unit, units), ""], [fmtFigure(r.b, r.unit, units), ""], [diff, r.diff > 0 ? "more" : r.diff < 0 ? "less" : ""]]) {
        const td = document.createElement("td");
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      tr.children[1].dataset.value = r.a ?? "";
      tr.children[2].dataset.value = r.b ?? "";
      return tr;
    });
    this.table.replaceChildren(head, ...body);
  }

  _bodies(list, units) {
    const longest = Math.max(1, ...list.flatMap((d) => d.figures.regions.map((r) => r.time_s || 0)));
    this.bodies.replaceChildren(...list.map((d, i) => {
      const fig = document.createElement("figure");
      const svg = el("svg", { viewBox: "0 0 2100 230", preserveAspectRatio: "xMidYMid meet" }, fig);
      const regions = Object.fromEntries(d.figures.regions.map((r) => [r.name, r]));
      for (const band of (d.setup.body ? d.setup.body.bands : [])) {
        const r = regions[band.region] || {};
        const [xa, xb] = band.x_m;
        const x = Math.min(xa, xb) * 1000, len = Math.abs(xb - xa) * 1000;
        const share = (r.time_s || 0) / longest;
        const nogo = d.setup.body.no_go.includes(band.region);
        el("rect", { x, y: 45, width: len, height: 180, rx: 18, fill: `rgba(${Math.round(40 + 30 * share)}, ${Math.round(80 + 90 * share)}, ${Math.round(120 + 135 * share)}, ${0.25 + 0.75 * share})`, stroke: nogo ? "#ff5a52" : "#0e1116", "stroke-width": nogo ? 10 : 5, "data-region": band.region }, svg);
        const t = el("text", { x: x + len / 2, y: 125, "text-anchor": "middle", "font-size": 56, "font-weight": 700, fill: "#eef1f5" }, svg);
        t.textContent = len > 120 ? `${Math.round(r.time_s || 0)} s` : "";
        const p = el("text", { x: x + len / 2, y: 195, "text-anchor": "middle", "font-size": 50, fill: "#c9d2dd" }, svg);
        p.textContent = len > 120 ? fmtFigure(r.peak_n ?? null, "N", units) : "";
        const name = el("text", { x: x + len / 2, y: 36, "text-anchor": "middle", "font-size": 40, fill: "#97a1ae" }, svg);
        name.textContent = len > 150 ? (REGION_NAMES[band.region] || band.region).split(" ")[0] : "";
      }
      const cap = document.createElement("figcaption");
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = COLOURS[i];
      cap.appendChild(sw);
      cap.appendChild(document.createTextNode(`#${d.session.id} · ${d.session.client || "no client"} · time and peak per region`));
      fig.appendChild(cap);
      return fig;
    }));
  }

  _path(list) {
    const c = this.root.querySelector("#cmp-path"), ctx = prepare(c);
    if (!ctx) return;
    const rig = list[0].setup.rig, L = rig.table.length_m, W = rig.table.width_m;
    const w = c.clientWidth, h = c.clientHeight;
    const k = Math.min((w - 20) / L, (h - 20) / W);
    const X = (x) => 10 + x * k, Y = (y) => h / 2 + y * k;
    ctx.fillStyle = "#232a34"; ctx.fillRect(X(0), Y(-W / 2), L * k, W * k);
    list.forEach((d, i) => {
      ctx.fillStyle = COLOURS[i]; ctx.globalAlpha = 0.45;
      const ov = d.overview;
      for (let j = 0; j < ov.t_s.length; j++) {
        if (ov.feet_x_m[j] === null || ov.feet_y_m[j] === null) continue;
        ctx.fillRect(X(ov.feet_x_m[j]) - 1, Y(ov.feet_y_m[j]) - 1, 2.5, 2.5);
      }
    });
    ctx.globalAlpha = 1;
  }

  _balance(ser, span) {
    const c = this.root.querySelector("#cmp-balance"), ctx = prepare(c);
    if (!ctx) return;
    const w = c.clientWidth, h = c.clientHeight, left = 34;
    const X = (e) => left + (e / span) * (w - left - 6), Y = (v) => 6 + (1 - v) * (h - 26);
    ctx.strokeStyle = "#555"; ctx.setLineDash([2, 3]);
    ctx.beginPath(); ctx.moveTo(left, Y(0.5)); ctx.lineTo(w, Y(0.5)); ctx.stroke(); ctx.setLineDash([]);
    ctx.fillStyle = "#97a1ae"; ctx.font = "11px DejaVu Sans, sans-serif";
    ctx.fillText("L 100", 0, Y(1) + 8); ctx.fillText("50 %", 2, Y(0.5) + 4); ctx.fillText("R 100", 0, Y(0) - 2);
    ctx.fillText(durationText(span), w - 40, h - 4);
    for (const s of ser) {
      const ov = s.overview;
      ctx.strokeStyle = s.colour; ctx.lineWidth = 1.2;
      ctx.beginPath();
      let pen = false;
      for (let k = 0; k < ov.t_s.length; k += 4) {
        const v = ov.bar_left_share[k];
        if (v === null) { pen = false; continue; }
        const x = X(ov.t_s[k] - s.t0 + s.offset_s);
        if (pen) ctx.lineTo(x, Y(v)); else ctx.moveTo(x, Y(v));
        pen = true;
      }
      ctx.stroke();
    }
  }
}

function prepare(c) {
  const dpr = window.devicePixelRatio || 1, w = c.clientWidth, h = c.clientHeight;
  if (!w || !h) return null;
  c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
  const ctx = c.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return ctx;
}
