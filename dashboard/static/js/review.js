// The review page: a recorded session shown at once from its kept overview (derived once,
// with progress the first time), played and scrubbed with full-rate windows fetched on
// demand, its alarms as history (a list and calm marks), trainer's notes, a second session
// to compare with, and a re-analysis with other rules or another client profile.

import { api, clockText, durationText, fmtForce, toLogin, toast } from "./common.js";
import { BarsPanel, FeetPanel, ForceStrip, TableView } from "./views.js";
import { ComparePanel, parseTime } from "./review_compare.js";
import { AlarmLog, NotesPanel, episodeRows } from "./review_lists.js";
import { CALM, Timeline } from "./review_timeline.js";

const $ = (sel) => document.querySelector(sel);
const WINDOW_BEFORE_S = 40, WINDOW_AFTER_S = 60;

const table = new TableView($("#table"));
const feet = new FeetPanel($("#feet"));
const bars = new BarsPanel($("#bars"));
const strip = new ForceStrip($("#strip"));
const timeline = new Timeline($("#timeline"), (t) => seek(t));
const compare = new ComparePanel($("#compare"));
const play = { d: null, t: 0, t0: 0, t1: 0, playing: false, last: 0, dirty: true, win: null, fetching: null, grid: null, units: "kg" };
const state = { other: null, rows: null, view: "session" };
const alarmLog = new AlarmLog((e) => jump(e.t_s));
const notes = new NotesPanel(() => play.t, () => reopen(), (t) => jump(t));

/** Index of the last sample at or before t (binary search); -1 before the first. */
function indexAt(ts, t) {
  let lo = 0, hi = ts.length - 1;
  if (hi < 0 || t < ts[0]) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ts[mid] <= t) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/** The live frame shape at sample i of a window. */
function frameAt(w, i) {
  const setup = play.d.setup, code = w.region[i];
  const region = code < 0 ? null : setup.regions[code];
  const nogo = new Set(setup.body ? setup.body.no_go : []);
  return {
    t_s: w.t_s[i], feet_n: w.feet_display_n[i], feet_peak_n: w.feet_peak_n[i],
    feet_x_m: w.feet_x_m[i], feet_y_m: w.feet_y_m[i], region, no_go: region !== null && nogo.has(region),
    bar_left_n: w.bar_left_n[i], bar_right_n: w.bar_right_n[i],
    hand_left_x_m: w.hand_left_x_m[i], hand_right_x_m: w.hand_right_x_m[i],
    bar_left_share: w.bar_left_share[i], support_ratio: w.support_ratio[i],
    mat_n: w.mat_n[i], cop_x_m: w.cop_x_m[i], cop_y_m: w.cop_y_m[i],
    mat_cells_n: w.mat_cells_n.map((col) => col[i]),
    pressure_kpa: w.pressure_kpa[i], pressure_basis: play.d.pressure_basis,
    uncertain: w.feet_x_m[i] === null ? ["FEET_NEAR_ZERO"] : [],
  };
}

/** The window holding t with room around it; fetch one when not (render uses what is there). */
function ensureWindow(t) {
  const w = play.win;
  const inside = w && w.t0 <= Math.max(t - 31, play.t0) && t + 5 <= Math.min(w.t1, play.t1 + 5);
  if (inside || play.fetching) return;
  const t0 = Math.max(play.t0, t - WINDOW_BEFORE_S), t1 = t + WINDOW_AFTER_S;
  const d = play.d;
  play.fetching = api(`/api/sessions/${d.session.id}/window?key=${d.key}&t0_s=${t0}&t1_s=${t1}`)
    .then((cols) => {
      if (play.d !== d) return;
      play.win = { ...cols, t0, t1: Math.min(t1, play.t1 + WINDOW_AFTER_S) };
      play.dirty = true;
    })
    .catch((err) => (err.message.includes("derived again") ? reopen() : toast(err.message, true)))
    .finally(() => { play.fetching = null; });
}

/** The peak feet force of the last 10 s in a window. */
function peak10s(w, i) {
  let peak = null;
  for (let k = Math.max(indexAt(w.t_s, play.t - 10), 0); k <= i; k++) {
    const v = w.feet_peak_n[k];
    if (v !== null && (peak === null || v > peak)) peak = v;
  }
  return peak;
}

function renderViews() {
  const d = play.d, w = play.win, units = play.units;
  const i = w ? indexAt(w.t_s, play.t) : -1;
  const f = i >= 0 ? frameAt(w, i) : null;
  feet.update(f, d.setup, units, i >= 0 ? peak10s(w, i) : null);
  bars.update(f, units);
  table.update(f, units);
  if (w && w.grids.length) {
    const g = indexAt(w.grids.map((x) => x.t_s), play.t);
    if (g >= 0 && w.grids[g] !== play.grid) { play.grid = w.grids[g]; table.grid(play.grid); }
  }
  const points = [];
  if (w) for (let k = Math.max(indexAt(w.t_s, play.t - 31), 0); k <= i; k++) points.push([w.t_s[k], w.feet_display_n[k]]);
  strip.draw(points, play.t, f ? w.limit_n[i] : d.overall_limit_n, units, durationText(play.t - play.t0));
}

function renderAtPlayhead() {
  const on = play.d.episodes.filter((e) => e.t_s <= play.t && play.t <= e.t_s + e.duration_s);
  const box = $("#atplayhead");
  box.replaceChildren(...on.map((e) => {
    const s = document.createElement("span");
    s.className = "chip";
    s.style.color = CALM[e.priority];
    s.textContent = e.title;
    s.title = e.message;
    return s;
  }));
  if (!on.length) box.textContent = "no alarm at the playhead";
  alarmLog.mark(play.t);
}

function render() {
  if (!play.d) return;
  ensureWindow(play.t);
  renderViews();
  renderAtPlayhead();
  timeline.draw(play.t);
  $("#clock").textContent = `${durationText(play.t - play.t0)} / ${durationText(play.t1 - play.t0)}`;
  $("#scrub").value = String(Math.round(((play.t - play.t0) / Math.max(play.t1 - play.t0, 1e-9)) * 1000));
  document.body.dataset.playhead = String(play.t - play.t0);
}

function seek(t) {
  play.t = Math.min(Math.max(t, play.t0), play.t1);
  play.dirty = true;
}

/** Go to a moment (an alarm, a note): a little before it, paused. */
function jump(t) {
  setPlaying(false);
  seek(t);
  document.body.dataset.jumped = String(t - play.t0);
}

function tick(now) {
  requestAnimationFrame(tick);
  if (play.playing && play.d) {
    seek(play.t + ((now - play.last) / 1000) * Number($("#speed").value));
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

function showProgress(r) {
  const box = $("#progress");
  box.classList.toggle("hidden", r.state === "ready");
  const share = Math.round((r.progress || 0) * 100);
  box.querySelector(".bar").style.width = `${share}%`;
  box.querySelector(".text").textContent = r.state === "preview"
    ? `shown from a first pass; heatmaps and grid pressure ${share} %`
    : `deriving the session from its raw counts (once): ${share} %`;
}

/** The review payload of a session, waiting (with progress) while it is first derived. */
async function fetchReview(id, onProgress) {
  for (;;) {
    const r = await api(`/api/sessions/${id}/review`);
    if (r.state === "failed") throw new Error(r.error);
    if (onProgress) onProgress(r);
    if (r.state === "ready" || r.state === "preview") return r;
    await new Promise((res) => setTimeout(res, 150));
  }
}

/** Polls a preview (grid rig, first pass) until the full series are there. */
async function completeLater(id) {
  const r = await fetchReview(id, showProgress);
  if (r.state === "preview") return setTimeout(() => completeLater(id), 400);
  if (play.d && play.d.session.id === r.session.id) show(r, false);
}

function show(d, fresh) {
  const ts = d.overview.t_s;
  d.t0 = ts.length ? ts[0] : d.session.started_s;
  play.d = d;
  play.units = d.setup.units;
  play.t0 = d.t0;
  play.t1 = d.t0 + Math.max(d.session.duration_s || 0, 0);
  if (fresh) play.t = play.t0;
  play.win = null;
  play.grid = null;
  timeline.set(d, play.t0, play.t1);
  table.configure(d.setup);
  $(".strip-unit").textContent = d.setup.units;
  const s = d.session;
  $("#who").textContent = [s.client && `client ${s.client}`, s.therapist && `therapist ${s.therapist}`].filter(Boolean).join(" · ");
  $("#summary").textContent = `session ${s.id} · ${clockText(s.started_s)} · ${durationText(s.duration_s)} · peak ${fmtForce(d.figures.peak_n, d.setup.units)} ${d.setup.units} · ${d.episodes.length} alarms`;
  for (const b of ["#btn-play", "#scrub", "#btn-csv", "#btn-parquet", "#btn-report", "#tab-compare", "#tab-evaluate"]) $(b).disabled = false;
  alarmLog.set(d, d.setup.units);
  notes.set(d);
  document.body.dataset.loaded = String(s.id);
  document.body.dataset.state = d.state;
  // the press marks (presses.js) place themselves on the timeline from these
  Object.assign(document.body.dataset, { t0: play.t0, t1: play.t1, units: d.setup.units });
  showProgress(d);
  play.dirty = true;
}

async function load(id) {
  setPlaying(false);
  let d;
  try {
    d = await fetchReview(id, showProgress);
  } catch (err) {
    return toast(err.message, true);
  }
  $("#sessions").value = String(id);
  showPresses(null);
  show(d, true);
  history.replaceState(null, "", `/review?session=${id}`);
  if (d.state === "preview") completeLater(id);
  if (state.other) refreshCompare();
}

/** The same session again (notes changed), keeping the playhead. */
async function reopen() {
  if (!play.d) return;
  show(await fetchReview(play.d.session.id), false);
}

function setView(view) {
  state.view = view;
  for (const v of ["session", "compare", "evaluate"]) {
    $(`#tab-${v}`).classList.toggle("on", v === view);
    for (const el of document.querySelectorAll(`.view-${v}`)) el.classList.toggle("hidden", v !== view);
  }
  $("#main").classList.toggle("wide", view !== "session");
  document.body.dataset.view = view;
  if (view === "compare" && state.other) drawCompare();
  play.dirty = true;
}

function compareOffset() {
  if ($("#cmp-align").value !== "moment") return 0;
  const b = parseTime($("#cmp-b-at").value);
  return b === null ? 0 : (play.t - play.t0) - b;
}

function drawCompare() {
  if (!state.other || !state.rows) return;
  compare.draw(play.d, state.other, state.rows, $("#cmp-layout").value, compareOffset(), play.units);
}

async function refreshCompare() {
  const id = Number($("#cmp-session").value);
  const status = $("#cmp-status");
  try {
    state.other = await fetchReview(id, (r) => { status.textContent = r.state === "deriving" ? `deriving #${id}: ${Math.round(r.progress * 100)} %` : ""; });
    for (;;) {
      const c = await api(`/api/sessions/${play.d.session.id}/compare/${id}`);
      if (c.state === "ready") { state.rows = c.rows; break; }
      await new Promise((res) => setTimeout(res, 200));
    }
  } catch (err) {
    status.textContent = "";
    return toast(err.message, true);
  }
  state.other.t0 = state.other.overview.t_s[0] ?? state.other.session.started_s;
  status.textContent = `#${play.d.session.id} (blue) with #${id} (orange)`;
  document.body.dataset.compared = String(id);
  drawCompare();
}

async function evaluate() {
  const status = $("#ev-status");
  status.textContent = "evaluating the session from its raw counts…";
  const body = { rules: $("#ev-rules").value || null, client: $("#ev-client").value || null };
  let r;
  try {
    r = await api(`/api/sessions/${play.d.session.id}/evaluate`, { method: "POST", body });
  } catch (err) {
    status.textContent = "";
    return toast(err.message, true);
  }
  status.textContent = `${r.episodes.length} alarms would have been raised (recorded: ${play.d.episodes.length})`;
  const t = $("#ev-rules-table");
  const head = document.createElement("tr");
  head.innerHTML = "<th>rule</th><th>priority</th><th>recorded</th><th>would have</th>";
  t.replaceChildren(head, ...r.by_rule.map((row) => {
    const tr = document.createElement("tr");
    for (const v of [row.rule_id, row.priority, row.recorded, row.evaluated]) {
      const td = document.createElement("td");
      td.textContent = String(v);
      tr.appendChild(td);
    }
    return tr;
  }));
  $("#ev-limits").replaceChildren(...r.limits.map((n) => { const li = document.createElement("li"); li.textContent = n; return li; }));
  episodeRows($("#ev-episodes tbody"), r.episodes, play.t0, (e) => jump(e.t_s), false);
  document.body.dataset.evaluated = String(r.episodes.length);
}

async function download(path, body) {
  toast("preparing the download…");
  try {
    const res = await api(path, { method: "POST", body });
    toast("");
    showPresses(res.presses_url);
    location.href = res.url;
  } catch (err) {
    toast(err.message, true);
  }
}

/** An export of a session in which the client pressed a button comes with a second file. */
function showPresses(url) {
  const link = $("#presses-link");
  link.hidden = !url;
  if (url) link.href = url;
}

function options(sel, items, first) {
  sel.replaceChildren(...[first, ...items].filter(Boolean).map(([value, text]) => {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    return o;
  }));
}

/** The room's live alarms, small and apart: never part of the reviewed session. */
function watchRoom(live) {
  if (!live) return;
  const room = $("#room");
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live`);
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type !== "alarms") return;
    const top = msg.list[0];
    room.className = top ? `room alarm-${top.priority}` : "room";
    room.textContent = top ? `room: ${top.priority} alarm · ${top.rule_id}${msg.list.length > 1 ? ` +${msg.list.length - 1}` : ""}` : "room: no alarm";
  };
  ws.onclose = () => { room.textContent = ""; };
}

function wire(list) {
  $("#btn-load").onclick = () => $("#sessions").value && load($("#sessions").value);
  $("#btn-play").onclick = () => {
    if (play.t >= play.t1) seek(play.t0);
    setPlaying(!play.playing);
  };
  $("#scrub").oninput = () => seek(play.t0 + (Number($("#scrub").value) / 1000) * (play.t1 - play.t0));
  const id = () => play.d.session.id;
  $("#btn-csv").onclick = () => download(`/api/sessions/${id()}/export`, { format: "csv" });
  $("#btn-parquet").onclick = () => download(`/api/sessions/${id()}/export`, { format: "parquet" });
  $("#btn-report").onclick = () => download(`/api/sessions/${id()}/report`, state.other ? { compare: state.other.session.id } : {});
  for (const v of ["session", "compare", "evaluate"]) $(`#tab-${v}`).onclick = () => setView(v);
  options($("#cmp-session"), list.map((s) => [s.id, `#${s.id} · ${s.client || "no client"} · ${durationText(s.duration_s)}`]));
  $("#cmp-go").onclick = refreshCompare;
  $("#cmp-layout").onchange = drawCompare;
  $("#cmp-align").onchange = () => { $("#cmp-moment").classList.toggle("hidden", $("#cmp-align").value !== "moment"); drawCompare(); };
  $("#cmp-b-at").onchange = drawCompare;
  $("#ev-go").onclick = evaluate;
  window.addEventListener("resize", () => { play.dirty = true; if (state.view === "compare") drawCompare(); });
}

async function boot() {
  const me = await api("/api/me");
  if (!me.logged_in) return toLogin();
  const list = await api("/api/sessions");
  $("#sessions").replaceChildren(...list.map((s) => {
    const o = document.createElement("option");
    o.value = s.id;
    o.textContent = `#${s.id} ${new Date(s.started_s * 1000).toLocaleDateString()} ${clockText(s.started_s)} · ${durationText(s.duration_s)} · ${s.client || "no client"} · ${s.alarm_count} alarms${s.stopped_s === null ? " · recording/interrupted" : ""}`;
    return o;
  }));
  if (!list.length) toast("no recorded sessions yet");
  wire(list);
  const choices = await api("/api/review/choices");
  options($("#ev-rules"), choices.rules.map((r) => [r, r]), ["", "the session's own rules"]);
  options($("#ev-client"), choices.clients.map((c) => [c, c]), ["", "the session's own client"]);
  watchRoom(me.live);
  window.addEventListener("review-seek", (ev) => play.d && seek(ev.detail.t_s)); // presses.js
  requestAnimationFrame(tick);
  const want = new URLSearchParams(location.search).get("session");
  const finished = list.find((s) => s.stopped_s !== null) || list[0];
  if (want || finished) load(want || finished.id);
}

boot();
