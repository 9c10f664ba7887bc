// The live page: one websocket, messages kept as state, drawn once per animation frame.
// When the stream stops, the whole page says NOT MONITORING: it never shows old data as live.

import { AlarmSound, AlarmView } from "./alarms.js";
import { api, fmtForce, G, toLogin, toast } from "./common.js";
import { PressCue } from "./cue.js";
import { DATA_STALE_S, linkHealth, showMonitoring } from "./health.js";
import { acceptedLimits, loadProposals } from "./proposals.js";
import { BarsPanel, FeetPanel, ForceStrip, TableView, limitAt } from "./views.js";

const $ = (sel) => document.querySelector(sel);
const STRIP_KEEP_S = 32;
const STRIP_GAP_S = 0.25; // strip points (50 a second) further apart than this are a gap
const GRID_STALE_S = 0.5; // a heatmap this much older than the newest frame (data time) blanks
const STREAM_LOST_S = 1.0; // silence on the socket (status comes every 0.5 s) that means lost
const LOGIN_GONE = 4401; // close code: the login ended (logout, expiry, server restart)
// The socket, relative to the page: the room's own (/ws/live), or a room seen from the
// studio's desk (data-socket set): then the page only watches, without the room's controls.
const SOCKET_PATH = document.body.dataset.socket || "/ws/live";
const REMOTE = Boolean(document.body.dataset.socket);
const ROOM_CONTROLS = ["#btn-start", "#btn-stop", "#btn-baseline", "#btn-note", "#btn-ack", "#units",
  "#btn-accept-device"];
// Frames handled are acknowledged this often: the server sends a page that falls behind only
// as many frames as it can show while they are fresh (dashboard/hub.py).
const ACK_EVERY_MS = 100;

const state = {
  setup: null, status: null, alarms: [], audible: null, frame: null, frameAt: 0,
  strip: [], peaks: [], frames: 0, dirty: true, grid: null,
  monitoring: true, lastMessageAt: performance.now(), alarmsSeen: false,
};
const table = new TableView($("#table"));
const feet = new FeetPanel($("#feet"));
const bars = new BarsPanel($("#bars"));
const strip = new ForceStrip($("#strip"), { gapS: STRIP_GAP_S });
const cue = new PressCue();
const sound = new AlarmSound(() => {
  cue.ctx = sound.ctx; // the press cue sounds through the alarms' (allowed) audio context
  showSoundState();
});
window.ashisenseSound = sound; // what plays, readable from the page (tests check it really does)
const alarmView = new AlarmView($("#alarms"), {
  onAck: (rule) => act("/api/alarms/ack", rule ? { rule_id: rule } : {}),
  onPause: () => act("/api/alarms/pause", {}),
  controls: !REMOTE,
});

function units() {
  return state.setup ? state.setup.units : "kg";
}

function handle(m) {
  state.lastMessageAt = performance.now();
  if (!state.monitoring) setMonitoring(true);
  switch (m.type) {
    case "setup":
      state.setup = m;
      table.configure(m);
      $("#units").value = m.units;
      $(".strip-unit").textContent = m.units;
      $("#who").textContent = [
        m.client ? `client ${m.client.id}` : null,
        m.therapist ? `therapist ${m.therapist.id}` : null,
      ].filter(Boolean).join(" · ");
      break;
    case "frame":
      state.frame = m;
      state.frameAt = performance.now();
      state.frames += 1;
      // frames repeat the last moments' points (for a page that missed one): keep the new ones
      for (const p of m.strip) {
        const last = state.strip[state.strip.length - 1];
        if (!last || p[0] > last[0]) state.strip.push(p);
      }
      state.peaks.push([m.t_s, m.feet_peak_n]);
      trim(state.strip, m.t_s - STRIP_KEEP_S);
      trim(state.peaks, m.t_s - 10);
      document.body.dataset.frames = String(state.frames);
      break;
    case "alarms":
      state.alarms = m.list;
      state.audible = m.audible || null;
      state.alarmsSeen = true;
      showAlarms();
      break;
    case "status":
      // A new socket gets the current alarms before the status (dashboard.hub's order):
      // none by then means the server has none, and the ones shown are from before.
      if (!state.alarmsSeen) Object.assign(state, { alarms: [], audible: null, alarmsSeen: true });
      state.status = m;
      renderStatus(m);
      showAlarms();
      break;
    case "grid":
      state.grid = m;
      table.grid(m);
      break;
    case "studio":
      renderStudio(m);
      break;
    case "press":
      cue.show(m, units(), state.status ? state.status.t_s : null);
      break;
  }
  state.dirty = true;
}

/** Alarm rows and sound; without live data, the rows are stale and the technical alarm sounds. */
function showAlarms() {
  alarmView.stale = !state.monitoring;
  alarmView.render(state.alarms);
  const audible = state.monitoring ? state.audible : "high";
  sound.set(audible);
  document.body.dataset.audible = audible || "";
  showSoundState();
}

/** The sound button says whether sound plays; while an alarm should sound and the browser
 * still blocks it, a large SOUND OFF warning with one button to turn it on. */
function showSoundState() {
  const blocked = !sound.on;
  const wanted = document.body.dataset.audible || "";
  $("#sound-off").classList.toggle("hidden", !(blocked && wanted));
  const btn = $("#btn-sound");
  btn.textContent = blocked ? "Sound off: turn on" : "Sound on";
  btn.classList.toggle("danger", blocked);
}

/** The header's link health, from the last status and the age of the newest frame. */
function showLink() {
  if (!state.monitoring || !state.status) return;
  const ageS = state.frameAt ? (performance.now() - state.frameAt) / 1000 : Infinity;
  const h = linkHealth(state.status.link, ageS);
  const el = $("#link");
  if (el.dataset.text === h.text && el.dataset.cls === h.cls) return;
  Object.assign(el.dataset, { text: h.text, cls: h.cls });
  el.title = h.title;
  el.replaceChildren(Object.assign(document.createElement("span"), { className: `dot ${h.cls}` }), h.text);
  el.className = h.cls;
}

/** Enter or leave the NOT MONITORING state (values blanked, alarms stale, REC unknown). */
function setMonitoring(on) {
  state.monitoring = on;
  state.dirty = true;
  showMonitoring(on, state.lastMessageAt);
  if (!on) {
    const rec = $("#rec");
    rec.className = "unknown";
    rec.textContent = "recording state unknown";
    const link = $("#link");
    link.replaceChildren(Object.assign(document.createElement("span"), { className: "dot bad" }), "no live data");
    Object.assign(link.dataset, { text: "", cls: "bad" });
    link.className = "bad";
  }
  showAlarms();
}

function watchStream() {
  if (state.monitoring && (performance.now() - state.lastMessageAt) / 1000 > STREAM_LOST_S) {
    setMonitoring(false);
  }
  showLink();
}

function trim(points, fromS) {
  let i = 0;
  while (i < points.length && points[i][0] < fromS) i++;
  if (i) points.splice(0, i);
}

function renderStatus(s) {
  showLink();
  const rec = $("#rec");
  if (s.session_id !== null) {
    const r = s.recorder;
    const bad = r && r.state !== "ok";
    rec.className = "rec";
    rec.textContent = `● REC session ${s.session_id}` + (bad ? ` · RECORDER ${r.state.toUpperCase()}: ${r.message}` : "");
  } else {
    rec.className = "muted";
    rec.textContent = "not recording";
  }
  const p = s.pipeline;
  const baseline = p ? (p.baseline_ready ? "baseline ✓" : `baseline: ${p.baseline_status}`) : "";
  // A rig without both bars and the mat cannot tell a client who slides from a feet move.
  const blind = p && p.rig_kind && !p.client_shift_observable ? " · client shift not observable" : "";
  $("#baseline").textContent = baseline + blind;
  $("#viewers").textContent = `${s.viewers} viewer${s.viewers === 1 ? "" : "s"}`;
  if (s.problem) toast(s.problem, true);
  $("#btn-stop").disabled = s.session_id === null;
  $("#btn-accept-device").classList.toggle("hidden", !link.refused); // only while refused
  $("#btn-accept-device").title = link.refused || "";
}

/** The room's links to its studio (broker, database), when set up: trouble in capitals. */
function renderStudio(m) {
  const el = $("#studio");
  const links = [["broker", m.broker], ["database", m.database]].filter(([, c]) => c.state !== "off");
  const down = links.filter(([, c]) => c.state !== "ok");
  el.className = down.length ? "studio-down" : "muted";
  el.textContent = down.length
    ? down.map(([name]) => `STUDIO ${name.toUpperCase()} UNREACHABLE`).join(" · ")
    : links.length ? "studio ✓" : "";
  el.title = links.map(([name, c]) => `${name}: ${c.message}`).join("\n");
  el.dataset.state = down.length ? "down" : links.length ? "ok" : "off";
}

function draw() {
  requestAnimationFrame(draw);
  const sinceS = (performance.now() - state.frameAt) / 1000;
  const f = state.frame && sinceS < DATA_STALE_S && state.monitoring ? state.frame : null;
  if (state.dirty || (state.frame && sinceS >= DATA_STALE_S)) {
    const peak = state.peaks.reduce((m, [, v]) => (v !== null && v > m ? v : m), -Infinity);
    feet.update(f, state.setup, units(), isFinite(peak) ? peak : null);
    bars.update(f, units());
    table.update(f, units());
    const g = state.grid;
    table.showHeat(!!(f && g && f.t_s - g.t_s <= GRID_STALE_S));
    state.dirty = false;
  }
  if (state.frame) {
    // time runs on through a stall, so the strip shows it as the gap it is; each point
    // carries the limit that held then ([t_s, feet_n, limit_n])
    const now = state.frame.t_s + sinceS;
    strip.draw(state.monitoring ? state.strip : [], now, null, units());
  }
}

let backoffMs = 250;
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = new URL(SOCKET_PATH, location.href);
  url.protocol = scheme;
  const ws = new WebSocket(url);
  ws.onopen = () => {
    backoffMs = 250;
    state.alarmsSeen = false;
  };
  // The newest frame handled is acknowledged at most every ACK_EVERY_MS, and always in the
  // end (a trailing acknowledgement): the server holds frames back until it is.
  let ackedAt = 0, unacked = null, ackTimer = null;
  const ack = () => {
    ackTimer = null;
    if (unacked === null || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: "ack", seq: unacked }));
    ackedAt = performance.now();
    unacked = null;
  };
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    handle(m);
    if (m.type !== "frame") return;
    unacked = m.seq;
    const waitMs = ACK_EVERY_MS - (performance.now() - ackedAt);
    if (waitMs <= 0) ack();
    else if (ackTimer === null) ackTimer = setTimeout(ack, waitMs);
  };
  ws.onclose = (ev) => {
    if (ev.code === LOGIN_GONE) return toLogin();
    const link = $("#link");
    link.textContent = "dashboard disconnected: reconnecting…";
    Object.assign(link.dataset, { text: "", cls: "" });
    setTimeout(connect, backoffMs);
    backoffMs = Math.min(backoffMs * 2, 4000);
  };
}

async function act(path, body, method = "POST") {
  try {
    const res = await api(path, { method, body });
    if (res.message) toast(res.message);
    return res;
  } catch (err) {
    toast(err.message, true);
    return null;
  }
}

async function startDialog() {
  const dlg = $("#dlg-start");
  let p;
  try {
    p = await api("/api/profiles");
  } catch (err) {
    return toast(err.message, true);
  }
  const fill = (sel, items, current) => {
    sel.replaceChildren(...items.map((x) => {
      const o = document.createElement("option");
      o.value = x.id;
      o.textContent = `${x.id} (${fmtForce(x.weight_kg * G, units())} ${units()})`;
      o.selected = x.id === current;
      return o;
    }));
  };
  fill($("#sel-client"), p.clients, p.client_id);
  fill($("#sel-therapist"), p.therapists, p.therapist_id);
  const proposals = () => loadProposals($("#proposals"), $("#sel-client").value, units());
  $("#sel-client").onchange = proposals;
  proposals();
  dlg.returnValue = "";
  dlg.showModal();
  dlg.onclose = async () => {
    if (dlg.returnValue !== "ok") return;
    const res = await act("/api/session/start", {
      client_id: $("#sel-client").value || null,
      therapist_id: $("#sel-therapist").value || null,
      label: $("#in-label").value,
      comfort_limits_n: acceptedLimits($("#proposals"), units()),
    });
    if (res) toast(`recording session ${res.session_id}`);
  };
}

function noteDialog() {
  const dlg = $("#dlg-note");
  $("#in-note").value = "";
  dlg.returnValue = "";
  dlg.showModal();
  dlg.onclose = async () => {
    const text = $("#in-note").value.trim();
    if (dlg.returnValue === "ok" && text && (await act("/api/notes", { text }))) toast("note added");
  };
}

function wire() {
  $("#btn-start").onclick = startDialog;
  $("#btn-stop").onclick = async () => {
    const res = await act("/api/session/stop");
    if (res && res.session_id !== null) toast(`session ${res.session_id} saved`);
  };
  $("#btn-baseline").onclick = () => act("/api/baseline");
  $("#btn-accept-device").onclick = () => act("/api/device/accept");
  $("#btn-note").onclick = noteDialog;
  $("#btn-ack").onclick = () => act("/api/alarms/ack", {});
  $("#btn-sound").onclick = () => sound.enable();
  $("#btn-sound-on").onclick = () => sound.enable();
  $("#units").onchange = () => act("/api/settings", { units: $("#units").value }, "PUT");
  $("#btn-logout").onclick = async () => {
    await act("/api/logout");
    toLogin();
  };
}

async function boot() {
  const me = await api("/api/me");
  if (!me.logged_in) return toLogin();
  wire();
  sound.start();
  if (REMOTE) {
    for (const sel of ROOM_CONTROLS) $(sel).hidden = true;
    $(".brand").textContent = `AshiSense · ${document.body.dataset.room || "room"} (from the desk)`;
  } else if (!me.live) {
    toast("No rig is running on this server: review only.", true);
    for (const b of document.querySelectorAll("footer button:not(#btn-logout)")) b.disabled = true;
    return;
  }
  state.lastMessageAt = performance.now();
  document.body.dataset.monitoring = "on";
  connect();
  setInterval(watchStream, 100); // not per animation frame: those pause in a hidden tab
  requestAnimationFrame(draw);
}

boot();
