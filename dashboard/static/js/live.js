// The live page: one websocket, messages kept as state, drawn once per animation frame.
// When the stream stops, the whole page says NOT MONITORING: it never shows old data as live.

import { AlarmSound, AlarmView } from "./alarms.js";
import { api, fmt, toLogin, toast } from "./common.js";
import { BarsPanel, FeetPanel, ForceStrip, TableView, limitAt } from "./views.js";

const $ = (sel) => document.querySelector(sel);
const STRIP_KEEP_S = 32;
const STALE_S = 1.0;
const STREAM_LOST_S = 1.0; // silence on the socket (status comes every 0.5 s) that means lost
const LOGIN_GONE = 4401; // close code: the login ended (logout, expiry, server restart)
// The socket, relative to the page: the room's own (/ws/live), or a room seen from the
// studio's desk (data-socket set): then the page only watches, without the room's controls.
const SOCKET_PATH = document.body.dataset.socket || "/ws/live";
const REMOTE = Boolean(document.body.dataset.socket);
const ROOM_CONTROLS = ["#btn-start", "#btn-stop", "#btn-baseline", "#btn-note", "#btn-ack", "#units"];

const state = {
  setup: null, status: null, alarms: [], audible: null, frame: null, frameAt: 0,
  strip: [], peaks: [], frames: 0, dirty: true,
  monitoring: true, lastMessageAt: performance.now(), alarmsSeen: false,
};
const table = new TableView($("#table"));
const feet = new FeetPanel($("#feet"));
const bars = new BarsPanel($("#bars"));
const strip = new ForceStrip($("#strip"));
const sound = new AlarmSound();
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
      for (const p of m.strip) state.strip.push(p);
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
      table.grid(m);
      break;
    case "studio":
      renderStudio(m);
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
}

/** Enter or leave the NOT MONITORING state (values blanked, alarms stale, REC unknown). */
function setMonitoring(on) {
  state.monitoring = on;
  state.dirty = true;
  document.body.dataset.monitoring = on ? "on" : "off";
  $("#not-monitoring").classList.toggle("hidden", on);
  if (!on) {
    const since = new Date(Date.now() - (performance.now() - state.lastMessageAt));
    $("#nm-since").textContent = since.toLocaleTimeString([], { hour12: false });
    const rec = $("#rec");
    rec.className = "unknown";
    rec.textContent = "recording state unknown";
    $("#link").replaceChildren(Object.assign(document.createElement("span"), { className: "dot bad" }), "no live data");
  }
  showAlarms();
}

function watchStream() {
  if (state.monitoring && (performance.now() - state.lastMessageAt) / 1000 > STREAM_LOST_S) {
    setMonitoring(false);
  }
}

function trim(points, fromS) {
  let i = 0;
  while (i < points.length && points[i][0] < fromS) i++;
  if (i) points.splice(0, i);
}

function renderStatus(s) {
  const link = s.link;
  const streaming = link.state === "streaming" && link.rate_hz > 0;
  const cls = streaming ? "ok" : link.state.startsWith("reconnect") || link.state.startsWith("refused") ? "bad" : "warn";
  $("#link").innerHTML = "";
  const dot = document.createElement("span");
  dot.className = `dot ${cls}`;
  $("#link").append(dot, `${link.state} · ${fmt(link.rate_hz, 1)} Hz · lost ${link.lost_samples} · reconnects ${link.reconnects}`);
  $("#link").title = `${link.url} ${link.serial || ""}\nsamples ${link.samples}, bad packets ${link.bad_packets}, gaps ${link.gaps}\n${link.last_error || ""}`;
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
  $("#baseline").textContent = p ? (p.baseline_ready ? "baseline ✓" : `baseline: ${p.baseline_status}`) : "";
  $("#viewers").textContent = `${s.viewers} viewer${s.viewers === 1 ? "" : "s"}`;
  if (s.problem) toast(s.problem, true);
  $("#btn-stop").disabled = s.session_id === null;
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
  const f = state.frame && sinceS < STALE_S && state.monitoring ? state.frame : null;
  if (state.dirty || (state.frame && sinceS >= STALE_S)) {
    const peak = state.peaks.reduce((m, [, v]) => (v !== null && v > m ? v : m), -Infinity);
    feet.update(f, state.setup, units(), isFinite(peak) ? peak : null);
    bars.update(f, units());
    table.update(f, units());
    state.dirty = false;
  }
  if (state.frame) {
    const now = state.frame.t_s + Math.min(sinceS, STALE_S);
    const limit = limitAt(state.setup, f ? f.region : null);
    strip.draw(state.monitoring ? state.strip : [], now, limit, units());
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
  ws.onmessage = (ev) => handle(JSON.parse(ev.data));
  ws.onclose = (ev) => {
    if (ev.code === LOGIN_GONE) return toLogin();
    $("#link").textContent = "dashboard disconnected: reconnecting…";
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
      o.textContent = `${x.id} (${x.weight_kg} kg)`;
      o.selected = x.id === current;
      return o;
    }));
  };
  fill($("#sel-client"), p.clients, p.client_id);
  fill($("#sel-therapist"), p.therapists, p.therapist_id);
  dlg.returnValue = "";
  dlg.showModal();
  dlg.onclose = async () => {
    if (dlg.returnValue !== "ok") return;
    const res = await act("/api/session/start", {
      client_id: $("#sel-client").value || null,
      therapist_id: $("#sel-therapist").value || null,
      label: $("#in-label").value,
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
  $("#btn-note").onclick = noteDialog;
  $("#btn-ack").onclick = () => act("/api/alarms/ack", {});
  $("#btn-sound").onclick = async () => {
    const on = await sound.enable();
    $("#btn-sound").textContent = on ? "Sound on" : "Sound blocked";
  };
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
