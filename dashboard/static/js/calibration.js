// The calibration page: choose what and with which weights, walk the steps, read the
// report, save. The state lives on the server (one run for every viewer); the page polls it.

import { api, fmt, toLogin, toast } from "./common.js";

const $ = (sel) => document.querySelector(sel);
const POLL_CAPTURING_MS = 100;
const POLL_IDLE_MS = 1000;

const PHASES = {
  waiting: ["Put the load in place, keep clear, then press Ready", "wait"],
  capturing: ["Capturing: keep clear", "busy"],
  collecting: ["Capturing: keep clear", "busy"],
  settling: ["Settling: hold still", "busy"],
  moving: ["Moving load: hold still", "warn"],
  unstable: ["Not at rest: steady the load and repeat this step", "bad"],
  rejected: ["Misplaced or wrong weight: repeat", "bad"],
  finished: ["All steps captured", "ok"],
};

let state = null;
let timer = null;
let busy = false;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function masses(text) {
  const parts = text.replace(/,/g, " ").split(/\s+/).filter(Boolean);
  const out = parts.map(Number);
  if (!out.length || out.some((m) => !(m > 0))) throw new Error(`expected masses in kg above 0, such as "5, 5, 10"; got "${text}"`);
  return out;
}

function show(id, on) {
  $(id).classList.toggle("hidden", !on);
}

function render(s) {
  state = s;
  const run = s.run;
  $("#device").textContent = s.device ? `device ${s.device.serial} · ${fmt(s.device.rate_hz, 0)} Hz` : "no device yet";
  const rec = $("#rec");
  rec.className = s.session_id !== null ? "rec" : "muted";
  rec.textContent = s.session_id !== null ? `● REC session ${s.session_id}` : "not recording";
  const setup = s.live && run === null;
  show("#cal-none", !s.live);
  show("#cal-setup", setup);
  show("#cal-step", run !== null && (run.step !== null || (run.error !== "" && run.report === null)));
  show("#cal-report", run !== null && run.report !== null);
  $("main.calib").classList.toggle("wide", run === null || run.report !== null);
  document.body.dataset.phase = run ? run.phase : "";
  document.body.dataset.step = run && run.step ? String(run.step.index) : "";
  if (setup) renderSetup(s);
  if (run) {
    renderSteps(run);
    if (run.step || run.error) renderStep(run);
    if (run.report) renderReport(run);
    $("#folder").textContent = `history folder: ${run.folder}`;
  } else {
    $("#steps").replaceChildren();
    $("#steps-done").textContent = "";
  }
}

function renderSetup(s) {
  const groups = s.groups.map((g) => g.kind);
  for (const input of document.querySelectorAll("input[name=what]")) {
    const v = input.value;
    input.disabled = (v !== "mat" && !groups.includes("bar")) || (v !== "bars" && !groups.includes("mat"));
  }
  const fill = (id, v) => { if (!$(id).value) $(id).value = Array.isArray(v) ? v.join(", ") : String(v); };
  fill("#in-bar-stack", s.defaults.bar_stack_kg);
  fill("#in-bar-single", s.defaults.bar_single_kg);
  fill("#in-mat-stack", s.defaults.mat_stack_kg);
  fill("#in-mat-single", s.defaults.mat_single_kg);
  const what = document.querySelector("input[name=what]:checked").value;
  for (const e of document.querySelectorAll(".for-bars")) e.classList.toggle("hidden", what === "mat");
  for (const e of document.querySelectorAll(".for-mat")) e.classList.toggle("hidden", what === "bars");
}

function renderStep(run) {
  const step = run.step || { index: null, title: "", prompt: "The calibration cannot go on.", again: false, can_skip: false };
  $("#step-count").textContent = run.step ? `Step ${run.done + 1} of ${run.total}${step.again ? " (again)" : ""}` : "Stopped";
  $("#step-title").textContent = step.title;
  $("#prompt").textContent = step.prompt.replace(/ Press Enter when all is still\.$/, "");
  const [headline, cls] = run.error ? ["Calibration stopped", "bad"] : PHASES[run.phase] || [run.phase, "wait"];
  const last = run.last && run.last.step === step.index ? run.last : null;
  $("#phase").textContent = headline;
  $("#stability").className = `stability ${cls}`;
  const progress = run.capturing && last ? last.progress : run.phase === "rejected" || run.phase === "unstable" ? 1 : 0;
  $("#stability .fill").style.width = `${Math.round(100 * progress)}%`;
  let detail = "";
  if (run.error) {
    detail = run.error;
  } else if (run.capturing) {
    detail = last ? `${last.message} · ${last.elapsed_s.toFixed(0)} s of at most ${last.timeout_s.toFixed(0)} s` : "waiting for samples";
  } else if (last) {
    detail = last.message;
  } else if (run.last && run.last.state === "captured" && run.last.step !== null) {
    detail = `Step captured ✓ (${run.done} of ${run.total} done)`;
  }
  $("#detail").textContent = detail;
  $("#btn-ready").disabled = run.capturing || !run.active;
  $("#btn-ready").textContent = run.capturing ? "Capturing…" : "Ready: capture";
  $("#btn-skip").disabled = !step.can_skip || !run.active;
}

const MARKS = { captured: "✓", skipped: "–", current: "▶", todo: "" };

function renderSteps(run) {
  $("#steps-done").textContent = `${run.done} of ${run.total}`;
  const list = $("#steps");
  const items = run.plan.map((p) => {
    const where = p.group.replace("bar_", "").replace("mat", "table");
    const down = p.direction === "unloading" ? " (unloading)" : "";
    const what = p.kind === "zero" ? "zero: nothing on the rig" : `${p.mass_kg} kg${down} · ${where} · ${p.label}`;
    const li = el("li", null, p.status);
    li.append(el("span", MARKS[p.status], "mark"), el("span", what));
    return li;
  });
  list.replaceChildren(...items);
  const current = list.querySelector("li.current");
  if (current) current.scrollIntoView({ block: "nearest" });
}

function num(x, digits) {
  return x === null || x === undefined ? "–" : x.toFixed(digits);
}

function renderReport(run) {
  const rep = run.report;
  $("#rep-serial").textContent = `${rep.device_serial} · ${rep.created_utc}`;
  $("#rep-channels tbody").replaceChildren(...rep.channels.map((c) => {
    const tr = el("tr", null, c.carried_over ? "carried" : "");
    const vs = c.gain_change_pct === null ? "–" : `${c.gain_change_pct >= 0 ? "+" : ""}${c.gain_change_pct.toFixed(2)} %`;
    for (const text of [
      c.name + (c.carried_over ? " (carried over)" : ""), c.gain_n_per_count.toPrecision(6), vs,
      c.offset_counts.toFixed(0), num(c.linearity_pct, 3), num(c.hysteresis_pct, 3), num(c.repeatability_n, 3),
    ]) tr.append(el("td", text));
    return tr;
  }));
  // the mat's table on the right; without a mat, one bar on each side
  const hasMat = rep.groups.some((g) => g.kind === "mat");
  const right = (g, i) => (hasMat ? g.kind === "mat" : i % 2 === 1);
  $("#rep-left").replaceChildren(...rep.groups.filter((g, i) => !right(g, i)).map(groupBlock));
  $("#rep-right").replaceChildren(...rep.groups.filter(right).map(groupBlock));
  const saved = run.saved;
  $("#btn-save").disabled = saved !== null;
  $("#btn-save").textContent = saved ? "Saved" : "Save";
  $("#saved").textContent = saved ? `Saved ${saved.name} in ${saved.folder}: ${saved.note}` : "not saved yet";
  $("#saved").className = saved ? (saved.in_use ? "ok" : "muted") : "muted";
  document.body.dataset.saved = saved ? saved.name : "";
}

function groupBlock(g) {
  const box = el("div", null, "group");
  const t = g.total, e = g.eccentricity;
  const kg = g.placements.length ? ` · ${g.placements[0].mass_kg} kg at each place` : "";
  box.append(el("h3", `${g.title[0].toUpperCase()}${g.title.slice(1)}${kg}`));
  box.append(el("p", `Total: linearity ${num(t.linearity_pct, 3)} % of span, hysteresis ${num(t.hysteresis_pct, 3)} %, ` +
    `repeatability ${num(t.repeatability_n, 3)} N. Eccentricity: total within ${num(e.max_total_err_pct, 3)} %, ` +
    `position within ${num(e.max_position_err_mm, 1)} mm (each predicted from the others: ${num(e.max_loo_total_err_pct, 3)} %, ` +
    `${num(e.max_loo_position_err_mm, 1)} mm).`, "small"));
  const table = el("table", null, "report ecc");
  const head = table.createTHead().insertRow();
  for (const h of ["place", "x, y (m)", "total %", "position mm", "predicted: total %", "position mm"]) head.append(el("th", h));
  const body = table.createTBody();
  for (const p of g.placements) {
    const tr = body.insertRow();
    for (const text of [
      p.label, p.where_m.map((v) => v.toFixed(3)).join(", "), num(p.total_err_pct, 3),
      num(p.position_err_mm, 1), num(p.loo_total_err_pct, 3), num(p.loo_position_err_mm, 1),
    ]) tr.append(el("td", text));
  }
  box.append(table);
  return box;
}

async function poll() {
  clearTimeout(timer);
  try {
    if (!busy) render(await api("/api/calibration"));
  } catch (err) {
    toast(err.message, true);
  }
  const fast = state && state.run && state.run.capturing;
  timer = setTimeout(poll, fast ? POLL_CAPTURING_MS : POLL_IDLE_MS);
}

async function act(path, body = {}) {
  busy = true;
  try {
    const res = await api(path, { method: "POST", body });
    render(res);
    return res;
  } catch (err) {
    toast(err.message, true);
    return null;
  } finally {
    busy = false;
    poll();
  }
}

function stepBody() {
  return { step: state && state.run && state.run.step ? state.run.step.index : null };
}

function wire() {
  for (const input of document.querySelectorAll("input[name=what]")) input.onchange = () => renderSetup(state);
  $("#setup-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const what = document.querySelector("input[name=what]:checked").value;
    let body;
    try {
      body = { what };
      if (what !== "mat") {
        body.bar_stack_kg = masses($("#in-bar-stack").value);
        body.bar_single_kg = masses($("#in-bar-single").value)[0];
      }
      if (what !== "bars") {
        body.mat_stack_kg = masses($("#in-mat-stack").value);
        body.mat_single_kg = masses($("#in-mat-single").value)[0];
      }
    } catch (err) {
      return toast(err.message, true);
    }
    await act("/api/calibration/start", body);
  };
  $("#btn-ready").onclick = () => act("/api/calibration/begin", stepBody());
  $("#btn-skip").onclick = () => act("/api/calibration/skip", stepBody());
  $("#btn-abort").onclick = async () => {
    if (confirm("Abort the calibration? Nothing is saved.")) await act("/api/calibration/abort");
  };
  $("#btn-save").onclick = async () => {
    const res = await act("/api/calibration/save");
    if (res) toast(`saved ${res.saved.name}`);
  };
  $("#btn-close").onclick = () => act("/api/calibration/abort");
}

async function boot() {
  const me = await api("/api/me");
  if (!me.logged_in) return toLogin();
  wire();
  poll();
}

boot();
