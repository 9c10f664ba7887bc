// The start dialog's proposed limits: per body region, the client's comfort limit learned
// from their presses, never above the studio's (or their contraindications') limit there.
// The therapist accepts each (ticked), edits it (never above the cap: the server refuses)
// or ignores it; what is accepted goes with the session's rules.

import { G, api, fmtForce, toUnit } from "./common.js";

const N_PER = { kg: G, lb: 4.4482216, N: 1 };

/** Fill `root` with the proposals for this client (forces shown in `units`). */
export async function loadProposals(root, clientId, units) {
  root.replaceChildren();
  if (!clientId) return;
  let res;
  try {
    res = await api(`/api/comfort/proposals?client_id=${encodeURIComponent(clientId)}`);
  } catch (err) {
    root.textContent = `comfort limits: ${err.message}`;
    return;
  }
  const title = document.createElement("h4");
  if (!res.proposals.length) {
    title.textContent = res.sessions
      ? `No comfort limits yet for ${clientId} (${res.sessions} sessions with presses)`
      : `No comfort map yet for ${clientId}: limits are learned from their presses`;
    root.append(title);
    return;
  }
  title.textContent = `Comfort limits of ${clientId}, from ${res.sessions} session${res.sessions === 1 ? "" : "s"}`;
  const table = document.createElement("table");
  const head = table.insertRow();
  for (const h of ["region", "comfort", "studio limit", `use (${units})`, "accept"]) {
    const th = document.createElement("th");
    th.textContent = h;
    head.append(th);
  }
  for (const p of res.proposals) {
    const row = table.insertRow();
    row.dataset.region = p.region;
    row.insertCell().textContent = p.title;
    row.insertCell().textContent = `${fmtForce(p.comfort_n, units)} (${p.presses} presses)`;
    row.insertCell().textContent = p.cap_n === null ? "none" : fmtForce(p.cap_n, units);
    const input = document.createElement("input");
    input.type = "number";
    input.step = "any";
    input.value = toUnit(p.proposed_n, units).toFixed(1);
    if (p.cap_n !== null) input.max = toUnit(p.cap_n, units).toFixed(1);
    row.insertCell().append(input);
    const tick = document.createElement("input");
    tick.type = "checkbox";
    tick.checked = !p.capped;
    tick.disabled = p.capped;
    tick.title = p.capped ? "the studio's limit there is already lower" : "use this limit in this session";
    row.insertCell().append(tick);
  }
  root.append(title, table);
}

/** The accepted limits in newtons, by region. */
export function acceptedLimits(root, units) {
  const out = {};
  for (const row of root.querySelectorAll("tr[data-region]")) {
    const [input, tick] = row.querySelectorAll("input");
    const value = Number(input.value);
    if (tick.checked && value > 0) out[row.dataset.region] = value * N_PER[units];
  }
  return out;
}
