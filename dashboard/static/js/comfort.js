// The clients page: one client's comfort map on their body outline (seen from above, head
// at the left as on the table), and the same figures as a table, with what they rest on.

import { REGION_NAMES, api, fmtForce, toLogin, toast } from "./common.js";

const $ = (sel) => document.querySelector(sel);
const SVG = "http://www.w3.org/2000/svg";
// Half width across the table of each region, m for a 1.75 m client: a drawing aid only.
const HALF_M = {
  head: 0.085, neck: 0.05, upper_back: 0.22, lumbar: 0.16, pelvis: 0.18,
  thigh: 0.075, popliteal: 0.06, calf: 0.055, foot: 0.045,
};
const LEG_M = { thigh: 0.09, popliteal: 0.09, calf: 0.085, foot: 0.08 };

function el(name, attrs) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** Colour of a comfort limit: light (blue) to firm (orange), grey without one. */
function colour(limitN, lo, hi) {
  if (limitN === null) return "#2c333e";
  const f = hi > lo ? (limitN - lo) / (hi - lo) : 0.5;
  const hue = 210 - 180 * Math.min(1, Math.max(0, f));
  return `hsl(${hue}, 65%, 42%)`;
}

function draw(d) {
  const svg = $("#map");
  svg.replaceChildren();
  const body = d.body;
  if (!body) {
    svg.append(Object.assign(el("text", { x: 0.5, y: 0.1 }), { textContent: "no profile: no body outline" }));
    return;
  }
  const units = d.units;
  const byRegion = Object.fromEntries(d.regions.map((r) => [r.region, r]));
  const limits = d.regions.map((r) => r.limit_n).filter((x) => x !== null);
  const lo = Math.min(...limits), hi = Math.max(...limits);
  const xs = body.bands.flatMap((b) => b.x_m);
  const x0 = Math.min(...xs) - 0.05, x1 = Math.max(...xs) + 0.05, y0 = body.midline_y_m;
  svg.setAttribute("viewBox", `${x0} ${y0 - 0.4} ${x1 - x0} 0.8`);
  const k = body.stature_m / 1.75;
  let side = 1;
  for (const band of body.bands) {
    const [a, b] = [Math.min(...band.x_m), Math.max(...band.x_m)];
    const r = byRegion[band.region];
    const half = (HALF_M[band.region] || 0.05) * k;
    const centres = LEG_M[band.region] ? [y0 - LEG_M[band.region] * k, y0 + LEG_M[band.region] * k] : [y0];
    for (const yc of centres) {
      const shape = band.region === "head"
        ? el("ellipse", { cx: (a + b) / 2, cy: yc, rx: (b - a) / 2, ry: half })
        : el("rect", { x: a, y: yc - half, width: b - a, height: 2 * half, rx: 0.02 });
      shape.setAttribute("fill", colour(r ? r.limit_n : null, lo, hi));
      shape.setAttribute("stroke", body.no_go.includes(band.region) ? "#ff3b30" : "#97a1ae");
      shape.setAttribute("stroke-width", "0.004");
      shape.dataset.region = band.region;
      svg.append(shape);
    }
    if (r) {
      const y = y0 + side * 0.3 * k;
      side = -side;
      const text = el("text", { x: (a + b) / 2, y });
      const limit = r.limit_n === null ? "–" : `${fmtForce(r.limit_n, units)} ${units}`;
      text.textContent = `${REGION_NAMES[band.region] || band.region}: ${limit}`;
      const sub = el("text", { x: (a + b) / 2, y: y + 0.036 });
      sub.textContent = `${r.presses} presses · ${r.sessions} sessions`;
      svg.append(text, sub);
    }
  }
}

function fill(d) {
  const units = d.units;
  const t = $("#table");
  t.replaceChildren();
  const head = t.insertRow();
  for (const h of ["region", `comfort limit (${units})`, `comfortable from (${units})`, "lighter / stop at", "deeper at", "presses", "sessions"]) {
    const th = document.createElement("th");
    th.textContent = h;
    head.append(th);
  }
  const list = (xs) => xs.length ? xs.slice(0, 6).map((x) => fmtForce(x, units)).join(", ") + (xs.length > 6 ? " …" : "") : "–";
  for (const r of d.regions) {
    const row = t.insertRow();
    row.dataset.region = r.region;
    const sorted = (xs) => [...xs].sort((a, b) => a - b);
    for (const v of [
      REGION_NAMES[r.region] || r.region, fmtForce(r.limit_n, units), fmtForce(r.floor_n, units),
      list(sorted(r.too_much_n)), list(sorted(r.too_little_n)), r.presses, r.sessions,
    ]) row.insertCell().textContent = String(v);
  }
}

async function show(clientId) {
  let d;
  try {
    d = await api(`/api/clients/${encodeURIComponent(clientId)}/comfort`);
  } catch (err) {
    return toast(err.message, true);
  }
  $("#title").textContent = `Comfort map of ${clientId}: from ${d.sessions} session${d.sessions === 1 ? "" : "s"} with presses`;
  draw(d);
  fill(d);
  document.body.dataset.loaded = clientId;
}

async function boot() {
  const me = await api("/api/me");
  if (!me.logged_in) return toLogin();
  const res = await api("/api/clients");
  const sel = $("#clients");
  sel.replaceChildren(...res.clients.map((id) => Object.assign(document.createElement("option"), { value: id, textContent: id })));
  if (!res.clients.length) return toast("no clients yet");
  const want = new URLSearchParams(location.search).get("client") || res.client_id || res.clients[0];
  sel.value = want;
  sel.onchange = () => show(sel.value);
  show(want);
}

boot();
