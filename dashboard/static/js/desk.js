// The studio's desk: every room at a glance. One websocket brings the overview four times a
// second; a room that is not heard from shows as such (never as calm), and so does the whole
// page when the overview stops coming.

import { AlarmSound } from "./alarms.js";
import { REGION_NAMES, api, fmtForce, toLogin } from "./common.js";
import { showMonitoring } from "./health.js";

const $ = (sel) => document.querySelector(sel);
const LOGIN_GONE = 4401;
const STREAM_LOST_S = 1.0;
const RANK = { high: 0, medium: 1, low: 2 };
const STATE_TEXT = {
  online: "online", offline: "OFFLINE", silent: "NOT REPORTING", unreachable: "UNREACHABLE",
};

const state = { doc: null, lastAt: performance.now(), monitoring: true };
const sound = new AlarmSound((on) => {
  $("#btn-sound").textContent = on ? "Sound on" : "Sound off: turn on";
});

/** The alarm a room shows first: sounding before silenced, then by priority. */
function topAlarm(alarms) {
  const shown = alarms.filter((a) => a.state !== "off");
  shown.sort((a, b) => RANK[a.priority] - RANK[b.priority]);
  return shown[0] || null;
}

/** A room that stopped reporting without saying goodbye is a technical alarm at the desk. */
function lost(r) {
  return r.state === "silent" || r.state === "unreachable" || (r.state === "offline" && r.reason !== "stopped");
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function card(r, units, current) {
  const a = el("a", `room ${r.state}${r.reason === "stopped" ? " stopped" : ""}`);
  a.href = `/rooms/${encodeURIComponent(r.room_id)}/`;
  a.dataset.room = r.room_id;
  a.dataset.state = current ? r.state : "unknown";
  const head = el("div", "head");
  head.append(el("span", "name", r.room), el("span", "badge", current ? STATE_TEXT[r.state] : "UNKNOWN"));
  const live = current && r.state === "online";
  const force = el("div", "force");
  force.append(el("span", "value", live ? fmtForce(r.feet_n, units) : "–"), el("span", "unit", units));
  const region = el("div", `region${live && r.no_go ? " nogo" : ""}`,
    live && r.region ? (r.no_go ? "NO-GO: " : "") + (REGION_NAMES[r.region] || r.region) : "–");
  const top = topAlarm(r.alarms);
  let alarm;
  if (!live) {
    alarm = el("div", "alarm stale", r.state === "offline" && r.reason === "stopped"
      ? "room stopped" : `alarms unknown: ${current ? STATE_TEXT[r.state].toLowerCase() : "desk not monitoring"}`
        + (r.heard_s_ago === null ? "" : ` · last heard ${Math.round(r.heard_s_ago)} s ago`));
  } else if (top) {
    const sounding = top.state === "active" || top.state === "audio_paused";
    alarm = el("div", `alarm ${top.priority}${sounding ? " flash" : ""}`, top.message);
    alarm.dataset.priority = top.priority;
  } else {
    alarm = el("div", "alarm none", "no alarm");
  }
  const who = el("div", "who muted", [r.therapist && `therapist ${r.therapist}`, r.client && `client ${r.client}`]
    .filter(Boolean).join(" · ") || "–");
  const rec = live ? (r.recording ? `● REC session ${r.session_id}` + (r.recorder && r.recorder !== "ok" ? ` · RECORDER ${r.recorder.toUpperCase()}` : "") : "not recording") : "recording unknown";
  const db = (r.studio_link.database || {}).state;
  const meta = el("div", "meta small", [
    live ? `rig ${r.link || "?"} · ${r.rate_hz === null ? "–" : r.rate_hz.toFixed(0)} Hz` : null,
    rec,
    db && db !== "ok" ? "DATABASE COPY FAILING" : null,
  ].filter(Boolean).join(" · "));
  a.append(head, force, region, alarm, who, meta);
  return a;
}

function render() {
  const doc = state.doc;
  if (!doc) return;
  const units = doc.units || "kg";
  $("#rooms").replaceChildren(...doc.rooms.map((r) => card(r, units, state.monitoring)));
  if (!doc.rooms.length) $("#rooms").append(el("p", "muted", "No room has reported yet."));
  const broker = $("#broker");
  const ok = state.monitoring && doc.broker.connected;
  broker.replaceChildren(el("span", `dot ${ok ? "ok" : "bad"}`),
    ok ? `broker connected · ${doc.rooms.length} rooms` : `BROKER UNREACHABLE: ${doc.broker.problem}`);
  let audible = null;
  for (const r of doc.rooms) {
    const p = !state.monitoring || lost(r) ? "high" : r.state === "online" ? r.audible : null;
    if (p && (audible === null || RANK[p] < RANK[audible])) audible = p;
  }
  sound.set(audible);
  document.body.dataset.audible = audible || "";
}

function setMonitoring(on) {
  state.monitoring = on;
  showMonitoring(on, state.lastAt);
  render();
}

function handle(m) {
  state.lastAt = performance.now();
  if (m.type !== "rooms") return;
  state.doc = m;
  if (!state.monitoring) setMonitoring(true);
  else render();
}

let backoffMs = 250;
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/ws/desk`);
  ws.onopen = () => { backoffMs = 250; };
  ws.onmessage = (ev) => handle(JSON.parse(ev.data));
  ws.onclose = (ev) => {
    if (ev.code === LOGIN_GONE) return toLogin();
    setTimeout(connect, backoffMs);
    backoffMs = Math.min(backoffMs * 2, 4000);
  };
}

async function boot() {
  const me = await api("/api/me");
  if (!me.logged_in) return toLogin();
  $("#btn-sound").onclick = () => sound.enable();
  sound.start();
  $("#btn-logout").onclick = async () => {
    await api("/api/logout", { method: "POST" }).catch(() => null);
    toLogin();
  };
  document.body.dataset.monitoring = "on";
  connect();
  setInterval(() => {
    if (state.monitoring && (performance.now() - state.lastAt) / 1000 > STREAM_LOST_S) setMonitoring(false);
  }, 100);
}

boot();
