// The review page: a recorded session played back with the live page's views, its alarm
// timeline, and the export / report downloads.

import { AlarmView } from "./alarms.js";
import { api, clockText, durationText, fmtForce, toLogin, toast } from "./common.js";
import { BarsPanel, FeetPanel, ForceStrip, TableView, limitAt } from "./views.js";

const $ = (sel) => document.querySelector(sel);
const COLOURS = { high: "#e8141b", medium: "#ffd200", low: "#19c3e6" };
const SHOWN = new Set(["active", "acknowledged", "audio_paused", "off"]);

const table = new TableView($("#table"));
const feet = new FeetPanel($("#feet"));
const bars = new BarsPanel($("#bars"));
const strip = new ForceStrip($("#strip"));
const alarmView = new AlarmView($("#alarms"), { onAck: () => {}, onPause: () => {}, controls: false });

const play = { data: null, t: 0, t0: 0, t1: 0, playing: false, last: 0, dirty: true, grid: -1 };

/** Index of the last sample at or before t (binary search). */
function indexAt(ts, t) {
  let lo = 0, hi = ts.length - 1;
  if (hi < 0 || t < ts[0]) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ts[mid] <= t) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/** The live frame shape at sample i of the thinned series. */
function frameAt(i) {
  const d = play.data, s = d.series, setup = d.setup;
  const code = s.region[i];
  const region = code === null || code < 0 ? null : setup.regions[code];
  const nogo = new Set(setup.body ? setup.body.no_go : []);
  return {
    t_s: s.t_s[i], feet_n: s.feet_display_n[i], feet_peak_n: s.feet_peak_n[i],
    feet_x_m: s.feet_x_m[i], feet_y_m: s.feet_y_m[i], region, no_go: region !== null && nogo.has(region),
    bar_left_n: s.bar_left_n[i], bar_right_n: s.bar_right_n[i],
    hand_left_x_m: s.hand_left_x_m[i], hand_right_x_m: s.hand_right_x_m[i],
    bar_left_share: s.bar_left_share[i], support_ratio: s.support_ratio[i],
    mat_n: s.mat_n[i], cop_x_m: s.cop_x_m[i], cop_y_m: s.cop_y_m[i],
    mat_cells_n: s.mat_cells_n.map((col) => col[i]),
    pressure_kpa: s.pressure_kpa[i], pressure_basis: s.pressure_basis,
    uncertain: s.feet_x_m[i] === null ? ["FEET_NEAR_ZERO"] : [],
  };
}

/** Alarms shown at time t: each rule's state after its last log row at or before t. */
function alarmsAt(t) {
  const last = new Map(), raised = new Map();
  for (const row of play.data.alarms) {
    if (row.t_s > t) break;
    last.set(row.rule_id, row);
    if (row.transition === "raised") raised.set(row.rule_id, row.message);
  }
  const out = [];
  for (const [rule, row] of last) {
    if (!SHOWN.has(row.state)) continue;
    out.push({
      rule_id: rule, priority: row.priority, state: row.state, since_s: row.t_s,
      message: raised.get(rule) || row.message, latched: row.transition === "condition_ended",
    });
  }
  return out;
}

function render() {
  const d = play.data;
  if (!d) return;
  const s = d.series;
  const i = indexAt(s.t_s, play.t);
  const f = s.t_s.length ? frameAt(i) : null;
  const units = d.setup.units;
  const lo = indexAt(s.t_s, play.t - 10);
  let peak = null;
  for (let k = lo; k <= i; k++) if (s.feet_peak_n[k] !== null && (peak === null || s.feet_peak_n[k] > peak)) peak = s.feet_peak_n[k];
  feet.update(f, d.setup, units, peak);
  bars.update(f, units);
  table.update(f, units);
  alarmView.render(alarmsAt(play.t), play.t);
  const g = d.grids.length ? indexAt(d.gridTimes, play.t) : -1;
  if (g >= 0 && g !== play.grid) {
    play.grid = g;
    table.grid(d.grids[g]);
  }
  const from = indexAt(s.t_s, play.t - 31);
  const points = [];
  for (let k = from; k <= i; k++) points.push([s.t_s[k], s.feet_display_n[k]]);
  strip.draw(points, play.t, limitAt(d.setup, f ? f.region : null), units);
  drawTimeline();
  $("#clock").textContent = `${durationText(play.t - play.t0)} / ${durationText(play.t1 - play.t0)}`;
  $("#scrub").value = String(Math.round(((play.t - play.t0) / Math.max(play.t1 - play.t0, 1e-9)) * 1000));
  document.body.dataset.playhead = String(play.t - play.t0);
}

function drawTimeline() {
  const c = $("#timeline"), d = play.data;
  const dpr = window.devicePixelRatio || 1, w = c.clientWidth, h = c.clientHeight;
  if (c.width !== Math.round(w * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
  const ctx = c.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const span = Math.max(play.t1 - play.t0, 1e-9);
  const X = (t) => ((t - play.t0) / span) * w;
  for (const g of d.gaps) {
    ctx.fillStyle = "#555";
    ctx.fillRect(X(g.t_start_s), 0, Math.max(2, X(g.t_end_s) - X(g.t_start_s)), h);
  }
  const s = d.series, limit = d.setup.feet_limit_n || 500;
  let maxV = limit * 1.2;
  for (const v of s.feet_peak_n) if (v !== null && v > maxV) maxV = v;
  ctx.strokeStyle = "#8fa2b8"; ctx.lineWidth = 1;
  ctx.beginPath();
  s.t_s.forEach((t, k) => {
    const v = s.feet_display_n[k];
    const y = h - 4 - (Math.max(0, v || 0) / maxV) * (h - 18);
    if (k) ctx.lineTo(X(t), y); else ctx.moveTo(X(t), y);
  });
  ctx.stroke();
  for (const row of d.alarms) {
    if (row.transition !== "raised") continue;
    ctx.fillStyle = COLOURS[row.priority] || "#fff";
    ctx.fillRect(X(row.t_s) - 1.5, 0, 3, 12);
  }
  for (const n of d.notes) {
    ctx.fillStyle = "#ffffff";
    ctx.beginPath(); ctx.moveTo(X(n.t_s), 14); ctx.lineTo(X(n.t_s) + 7, 18); ctx.lineTo(X(n.t_s), 22); ctx.fill();
  }
  ctx.fillStyle = "#4aa3ff";
  ctx.fillRect(X(play.t) - 1, 0, 2, h);
}

function seek(t) {
  play.t = Math.min(Math.max(t, play.t0), play.t1);
  play.dirty = true;
}

function tick(now) {
  requestAnimationFrame(tick);
  if (play.playing && play.data) {
    const dt = (now - play.last) / 1000;
    seek(play.t + dt * Number($("#speed").value));
    if (play.t >= play.t1) setPlaying(false);
  }
  play.last = now;
  if (play.dirty) {
    play.dirty = false;
    render();
  }
}

function setPlaying(on) {
  play.playing = on;
  $("#btn-play").textContent = on ? "Pause" : "Play";
  document.body.dataset.playing = on ? "1" : "0";
}

function renderLog() {
  const d = play.data;
  const log = $("#alarmlog");
  const rows = d.alarms.filter((r) => r.transition === "raised" || r.transition === "acknowledged");
  log.replaceChildren(...rows.map((r) => {
    const div = document.createElement("div");
    div.className = r.priority;
    div.textContent = `${durationText(r.t_s - play.t0)} ${r.transition === "raised" ? "▲" : "✓"} ${r.message}`;
    div.onclick = () => seek(r.t_s - 2);
    return div;
  }));
  if (!rows.length) log.textContent = "no alarms in this session";
}

async function load(id) {
  setPlaying(false);
  toast("deriving the session from its raw counts…");
  let d;
  try {
    d = await api(`/api/sessions/${id}/series`);
  } catch (err) {
    return toast(err.message, true);
  }
  toast("");
  play.data = d;
  const ts = d.series.t_s;
  play.t0 = ts.length ? ts[0] : d.session.started_s;
  play.t1 = ts.length ? ts[ts.length - 1] : play.t0;
  play.t = play.t0;
  play.grid = -1;
  d.gridTimes = d.grids.map((x) => x.t_s);
  table.configure(d.setup);
  $(".strip-unit").textContent = d.setup.units;
  const sess = d.session;
  $("#who").textContent = [sess.client && `client ${sess.client}`, sess.therapist && `therapist ${sess.therapist}`].filter(Boolean).join(" · ");
  $("#summary").textContent = `session ${sess.id} · ${clockText(sess.started_s)} · ${durationText(sess.duration_s)} · peak ${fmtForce(sess.peak_feet_n, d.setup.units)} ${d.setup.units} · ${sess.alarm_count} alarms`;
  for (const b of ["#btn-play", "#scrub", "#btn-csv", "#btn-parquet", "#btn-report"]) $(b).disabled = false;
  renderLog();
  $("#sessions").value = String(id);
  Object.assign(document.body.dataset, { t0: play.t0, t1: play.t1, units: d.setup.units });
  document.body.dataset.loaded = String(id);
  play.dirty = true;
}

async function download(path, body) {
  toast("preparing the download…");
  try {
    const res = await api(path, { method: "POST", body });
    toast("");
    location.href = res.url;
  } catch (err) {
    toast(err.message, true);
  }
}

async function boot() {
  const me = await api("/api/me");
  if (!me.logged_in) return toLogin();
  const list = await api("/api/sessions");
  const sel = $("#sessions");
  sel.replaceChildren(...list.map((s) => {
    const o = document.createElement("option");
    o.value = s.id;
    o.textContent = `#${s.id} ${new Date(s.started_s * 1000).toLocaleDateString()} ${clockText(s.started_s)} · ${durationText(s.duration_s)} · ${s.client || "no client"} · ${s.alarm_count} alarms${s.stopped_s === null ? " · recording/interrupted" : ""}`;
    return o;
  }));
  if (!list.length) toast("no recorded sessions yet");
  $("#btn-load").onclick = () => sel.value && load(sel.value);
  $("#btn-play").onclick = () => {
    if (play.t >= play.t1) seek(play.t0);
    setPlaying(!play.playing);
  };
  $("#scrub").oninput = () => seek(play.t0 + (Number($("#scrub").value) / 1000) * (play.t1 - play.t0));
  $("#timeline").onclick = (ev) => {
    const r = ev.target.getBoundingClientRect();
    seek(play.t0 + ((ev.clientX - r.left) / r.width) * (play.t1 - play.t0));
  };
  const id = () => play.data.session.id;
  $("#btn-csv").onclick = () => download(`/api/sessions/${id()}/export`, { format: "csv" });
  $("#btn-parquet").onclick = () => download(`/api/sessions/${id()}/export`, { format: "parquet" });
  $("#btn-report").onclick = () => download(`/api/sessions/${id()}/report`, {});
  window.addEventListener("resize", () => { play.dirty = true; });
  window.addEventListener("review-seek", (ev) => play.data && seek(ev.detail.t_s)); // presses.js
  requestAnimationFrame(tick);
  const want = new URLSearchParams(location.search).get("session");
  const finished = list.find((s) => s.stopped_s !== null) || list[0];
  if (want || finished) load(want || finished.id);
}

boot();
