// The client's presses on the review page, a piece of its own: a mark per press on the
// session's timeline, and the trainers' filter, "moments the client asked for lighter"
// across sessions. It talks to the review page only through the page: the session shown
// (body data-loaded, data-t0, data-t1) and a "review-seek" event to move the playhead.

import { api, clockText, durationText, fmtForce } from "./common.js";

const $ = (sel) => document.querySelector(sel);
const BUTTONS = ["lighter", "deeper", "stop", "ok"];

function units() {
  return document.body.dataset.units || "kg";
}

function seek(t_s) {
  window.dispatchEvent(new CustomEvent("review-seek", { detail: { t_s } }));
}

function describe(p) {
  const where = p.region_text ? ` · ${p.region_text}` : "";
  const then = p.feet_after_n === null ? "" : ` → ${fmtForce(p.feet_after_n, units())} 2 s later`;
  return `${p.button}${where} · ${fmtForce(p.feet_n, units())} ${units()}${then}`;
}

/** Marks on the timeline canvas, one per press of the session shown. */
async function markSession() {
  const id = document.body.dataset.loaded;
  const canvas = $("#timeline");
  if (!id || !canvas) return;
  const layer = document.querySelector(".press-marks") || document.createElement("div");
  layer.className = "press-marks";
  canvas.parentElement.style.position = "relative";
  if (!layer.parentElement) canvas.parentElement.append(layer);
  let res;
  try {
    res = await api(`/api/sessions/${id}/presses`);
  } catch {
    return layer.replaceChildren();
  }
  const t0 = Number(document.body.dataset.t0), t1 = Number(document.body.dataset.t1);
  const place = () => {
    layer.style.left = `${canvas.offsetLeft}px`;
    layer.style.top = `${canvas.offsetTop}px`;
    layer.style.width = `${canvas.offsetWidth}px`;
    layer.style.height = `${canvas.offsetHeight}px`;
  };
  place();
  window.addEventListener("resize", place);
  layer.replaceChildren(...res.presses.map((p) => {
    const m = document.createElement("div");
    m.className = `press-mark ${p.button}`;
    m.style.left = `${(100 * (p.t_s - t0)) / Math.max(t1 - t0, 1e-9)}%`;
    m.title = `${durationText(p.t_s - t0)} ${describe(p)}`;
    return m;
  }));
  document.body.dataset.pressMarks = String(res.presses.length);
  const want = Number(new URLSearchParams(location.search).get("t"));
  if (want && !markSession.seeked) {
    markSession.seeked = true;
    seek(want - 2);
  }
}

/** The trainers' filter: the moments the client asked for a button, across sessions. */
function filterPanel() {
  const wrap = document.createElement("div");
  wrap.className = "panel";
  wrap.innerHTML = `<h2>The client's voice</h2>
    <div class="press-filter">
      <label>moments the client asked for <select id="pf-button"></select></label>
      <label>client <select id="pf-client"><option value="">all</option></select></label>
    </div>
    <div class="press-list" id="pf-list"></div>`;
  $("#main .side").append(wrap); // the review page's side column
  const sel = $("#pf-button");
  sel.replaceChildren(...[...BUTTONS, "any"].map((b) => Object.assign(document.createElement("option"), { value: b, textContent: b })));
  sel.onchange = listMoments;
  $("#pf-client").onchange = listMoments;
  api("/api/clients").then((res) => {
    $("#pf-client").append(...res.clients.map((c) => Object.assign(document.createElement("option"), { value: c, textContent: c })));
  }).catch(() => {});
  listMoments();
}

async function listMoments() {
  const button = $("#pf-button").value, client = $("#pf-client").value;
  const q = new URLSearchParams();
  if (button !== "any") q.append("button", button);
  if (client) q.append("client_id", client);
  const list = $("#pf-list");
  let res;
  try {
    res = await api(`/api/presses?${q}`);
  } catch (err) {
    list.textContent = err.message;
    return;
  }
  list.replaceChildren(...res.presses.map((p) => {
    const div = document.createElement("div");
    div.className = `pf-row ${p.button}`;
    div.textContent = `#${p.session_id} ${clockText(p.t_s)} ${p.client_id || ""} · ${describe(p)}`;
    div.onclick = () => {
      if (String(p.session_id) === document.body.dataset.loaded) seek(p.t_s - 2);
      else location.href = `/review?session=${p.session_id}&t=${p.t_s}`;
    };
    return div;
  }));
  if (!res.presses.length) list.textContent = "none recorded";
  document.body.dataset.pressMoments = String(res.presses.length);
}

new MutationObserver(markSession).observe(document.body, { attributeFilter: ["data-loaded"] });
filterPanel();
