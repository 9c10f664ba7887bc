// The review timeline: the whole session at once from its overview (feet force min/max per
// bucket, empty buckets are gaps), the limit as it held, recorded gaps, alarms as calm marks
// with their duration, notes (flags, or bands over a range), a time axis (time since the
// start and clock time) and the playhead labelled with its time.

import { clockText, durationText, toUnit } from "./common.js";

export const CALM = { high: "#c95b5b", medium: "#c9aa3c", low: "#4fa7b8" };
const LEFT = 10, RIGHT = 10, MARKS = 16, AXIS = 30;
const STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];

/** A tick step giving at most `n` ticks over `span` seconds. */
export function tickStep(span, n) {
  return STEPS_S.find((s) => span / s <= n) || 7200;
}

export class Timeline {
  constructor(canvas, onSeek) {
    this.canvas = canvas;
    this.data = null;
    let dragging = false;
    const seekAt = (ev) => {
      if (!this.data) return;
      const r = canvas.getBoundingClientRect();
      const f = (ev.clientX - r.left - LEFT) / Math.max(r.width - LEFT - RIGHT, 1);
      onSeek(this.t0 + Math.min(Math.max(f, 0), 1) * this.span);
    };
    canvas.addEventListener("pointerdown", (ev) => { dragging = true; canvas.setPointerCapture(ev.pointerId); seekAt(ev); });
    canvas.addEventListener("pointermove", (ev) => { if (dragging) seekAt(ev); });
    canvas.addEventListener("pointerup", () => { dragging = false; });
  }

  /** d: the review payload (overview, gaps, episodes, notes, setup); t0/t1 its time span. */
  set(d, t0, t1) {
    this.data = d;
    this.t0 = t0;
    this.span = Math.max(t1 - t0, 1e-9);
  }

  X(t, w) { return LEFT + ((t - this.t0) / this.span) * (w - LEFT - RIGHT); }

  draw(playT) {
    const c = this.canvas, d = this.data;
    const dpr = window.devicePixelRatio || 1, w = c.clientWidth, h = c.clientHeight;
    if (!w || !h) return;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (!d) return;
    const top = MARKS, bottom = h - AXIS;
    const ov = d.overview;
    let maxV = (d.overall_limit_n || 300) * 1.15;
    for (const v of ov.feet_max_n) if (v !== null && v > maxV) maxV = v;
    const Y = (v) => bottom - (Math.max(0, v) / maxV) * (bottom - top - 2);
    this._gaps(ctx, w, top, bottom);
    this._notes(ctx, w, top, bottom);
    this._envelope(ctx, w, Y);
    this._limit(ctx, w, Y);
    this._alarms(ctx, w, top);
    this._axis(ctx, w, h, bottom);
    this._playhead(ctx, w, h, playT);
  }

  _gaps(ctx, w, top, bottom) {
    ctx.fillStyle = "#3a3f48";
    for (const g of this.data.gaps) {
      const a = this.X(g.t_start_s, w), b = this.X(g.t_end_s, w);
      ctx.fillRect(a, top, Math.max(2, b - a), bottom - top);
    }
  }

  _notes(ctx, w, top, bottom) {
    for (const n of this.data.notes) {
      const a = this.X(n.t_s, w);
      if (n.t_end_s !== null) {
        ctx.fillStyle = "#ffffff1c";
        ctx.fillRect(a, top, Math.max(2, this.X(n.t_end_s, w) - a), bottom - top);
      }
      ctx.fillStyle = "#e8eef5";
      ctx.fillRect(a, 2, 1.5, top - 2);
      ctx.beginPath(); ctx.moveTo(a + 1.5, 2); ctx.lineTo(a + 8, 5); ctx.lineTo(a + 1.5, 8); ctx.fill();
    }
  }

  _envelope(ctx, w, Y) {
    const ov = this.data.overview;
    ctx.fillStyle = "#8fa2b8";
    const bw = Math.max(1, (w - LEFT - RIGHT) / ov.t_s.length + 0.5);
    for (let k = 0; k < ov.t_s.length; k++) {
      const lo = ov.feet_min_n[k], hi = ov.feet_max_n[k];
      if (hi === null) continue; // no samples here: a gap
      const x = this.X(ov.t_s[k], w), y1 = Y(hi), y0 = Y(lo === null ? hi : lo);
      ctx.fillRect(x, y1, bw, Math.max(1, y0 - y1));
    }
  }

  _limit(ctx, w, Y) {
    const ov = this.data.overview;
    ctx.strokeStyle = "#e0524a"; ctx.lineWidth = 1.2; ctx.setLineDash([4, 3]);
    ctx.beginPath();
    let pen = false;
    for (let k = 0; k < ov.t_s.length; k++) {
      const v = ov.limit_n[k];
      if (v === null) { pen = false; continue; }
      const x = this.X(ov.t_s[k], w), y = Y(v);
      if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      ctx.lineTo(x + (w - LEFT - RIGHT) / ov.t_s.length, y);
      pen = true;
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }

  _alarms(ctx, w, top) {
    for (const e of this.data.episodes) {
      const a = this.X(e.t_s, w), b = this.X(e.t_s + (e.duration_s || 0), w);
      ctx.fillStyle = CALM[e.priority] || "#888";
      ctx.globalAlpha = 0.5;
      ctx.fillRect(a, top - 4, Math.max(2, b - a), 3);
      ctx.globalAlpha = 1;
      ctx.beginPath(); ctx.moveTo(a - 4, top - 12); ctx.lineTo(a + 4, top - 12); ctx.lineTo(a, top - 5); ctx.fill();
    }
  }

  _axis(ctx, w, h, bottom) {
    ctx.strokeStyle = "#2c333e"; ctx.fillStyle = "#97a1ae"; ctx.lineWidth = 1;
    ctx.font = "11px DejaVu Sans, sans-serif";
    ctx.beginPath(); ctx.moveTo(LEFT, bottom + 0.5); ctx.lineTo(w - RIGHT, bottom + 0.5); ctx.stroke();
    const step = tickStep(this.span, Math.max(2, Math.floor((w - LEFT - RIGHT) / 90)));
    for (let s = 0; s <= this.span + 1e-6; s += step) {
      const x = this.X(this.t0 + s, w);
      ctx.beginPath(); ctx.moveTo(x, bottom); ctx.lineTo(x, bottom + 4); ctx.stroke();
      const since = durationText(s), clock = clockText(this.t0 + s).slice(0, 5);
      const tw = Math.max(ctx.measureText(since).width, ctx.measureText(clock).width);
      const tx = Math.min(Math.max(x - tw / 2, 0), w - tw);
      ctx.fillText(since, tx, bottom + 14);
      ctx.fillText(clock, tx, bottom + 26);
    }
  }

  _playhead(ctx, w, h, t) {
    const x = this.X(t, w);
    ctx.fillStyle = "#4aa3ff";
    ctx.fillRect(x - 1, 0, 2, h - AXIS);
    const label = `${durationText(t - this.t0)} · ${clockText(t)}`;
    ctx.font = "bold 11px DejaVu Sans, sans-serif";
    const tw = ctx.measureText(label).width + 8;
    const lx = Math.min(Math.max(x - tw / 2, 0), w - tw);
    ctx.fillStyle = "#1d4f8c";
    ctx.fillRect(lx, h - AXIS + 1, tw, 14);
    ctx.fillStyle = "#fff";
    ctx.fillText(label, lx + 4, h - AXIS + 12);
  }
}

/** Draw one or two sessions' feet force envelopes with their limits on a canvas.
 * series: [{overview, t0, offset_s, colour}], span_s: the time axis length; units. */
export function drawForceChart(canvas, series, spanS, units) {
  const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
  if (!w || !h) return;
  canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const left = 40, right = 8, top = 6, bottom = 20;
  let maxV = 1;
  for (const s of series) for (const v of s.overview.feet_max_n.concat(s.overview.limit_n)) if (v !== null) maxV = Math.max(maxV, toUnit(v, units) * 1.1);
  const X = (e) => left + (e / spanS) * (w - left - right);
  const Y = (v) => top + (1 - toUnit(Math.max(v, 0), units) / maxV) * (h - top - bottom);
  ctx.font = "11px DejaVu Sans, sans-serif"; ctx.fillStyle = "#97a1ae"; ctx.strokeStyle = "#2c333e";
  for (let k = 0; k <= 4; k++) {
    const v = (maxV * k) / 4, y = top + (1 - k / 4) * (h - top - bottom);
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(w - right, y); ctx.stroke();
    ctx.fillText(v.toFixed(0), 4, y + 4);
  }
  const step = tickStep(spanS, Math.max(2, Math.floor((w - left - right) / 70)));
  for (let s = 0; s <= spanS; s += step) ctx.fillText(durationText(s), X(s) - 10, h - 5);
  for (const s of series) {
    const ov = s.overview, n = ov.t_s.length;
    ctx.fillStyle = s.colour; ctx.globalAlpha = 0.55;
    for (let k = 0; k < n; k++) {
      if (ov.feet_max_n[k] === null) continue;
      const x = X(ov.t_s[k] - s.t0 + s.offset_s);
      const y1 = Y(ov.feet_max_n[k]), y0 = Y(ov.feet_min_n[k] ?? ov.feet_max_n[k]);
      ctx.fillRect(x, y1, 1, Math.max(1, y0 - y1));
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = s.colour; ctx.lineWidth = 1.5; ctx.setLineDash([5, 3]);
    ctx.beginPath();
    let pen = false;
    for (let k = 0; k < n; k++) {
      const v = ov.limit_n[k];
      if (v === null) { pen = false; continue; }
      const x = X(ov.t_s[k] - s.t0 + s.offset_s);
      if (pen) ctx.lineTo(x, Y(v)); else ctx.moveTo(x, Y(v));
      pen = true;
    }
    ctx.stroke(); ctx.setLineDash([]);
  }
}
