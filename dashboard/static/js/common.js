// Shared helpers: API calls with the login, units, names of body regions.

export const G = 9.80665;
const N_PER_LB = 4.4482216;

export const REGION_NAMES = {
  off_body: "Off the body", head: "Head", neck: "Neck", upper_back: "Upper back",
  spine: "Spine", lumbar: "Lumbar / kidneys", pelvis: "Pelvis / glutes", thigh: "Thigh",
  popliteal: "Back of the knee", calf: "Calf", foot: "Foot",
};

/** Force in the studio's unit (kg, lb or N) from newtons; null stays null. */
export function toUnit(n, units) {
  if (n === null || n === undefined) return null;
  return units === "lb" ? n / N_PER_LB : units === "N" ? n : n / G;
}

// Digits per unit, as the alarms word them (ashisense.alarms.wording): the panel's limit
// and the banner's are then the same text.
const FORCE_DIGITS = { kg: 1, lb: 0, N: 0 };

/** "42.3" style text of a force in the studio's unit, or "–" when unknown. */
export function fmtForce(n, units, digits = FORCE_DIGITS[units] ?? 1) {
  const v = toUnit(n, units);
  if (v === null) return "–";
  return (Math.abs(v) < 0.5 * 10 ** -digits ? 0 : v).toFixed(digits); // no "-0.0"
}

export function fmt(x, digits = 1, suffix = "") {
  return x === null || x === undefined ? "–" : x.toFixed(digits) + suffix;
}

export function clockText(t_s) {
  if (t_s === null || t_s === undefined) return "–";
  return new Date(t_s * 1000).toLocaleTimeString([], { hour12: false });
}

export function durationText(s) {
  if (s === null || s === undefined) return "–";
  s = Math.max(0, Math.floor(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(sec).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${m}:${ss}`;
}

let leaving = false;

/** Go to the login page, coming back here afterwards. Once: a logout and the socket it
 * closes both ask, and a second navigation would abort the first. */
export function toLogin() {
  if (leaving) return;
  leaving = true;
  const next = encodeURIComponent(location.pathname + location.search);
  location.replace(`/login?next=${next}`);
}

/** JSON API call; a 401 sends the browser to the login page. Throws Error(detail). */
export async function api(path, { method = "GET", body } = {}) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  if (res.status === 401) {
    toLogin();
    throw new Error("login required");
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.detail ? String(data.detail) : `${res.status} ${res.statusText}`);
  return data;
}

/** A short message in the controls bar. */
export function toast(text, isError = false) {
  const el = document.getElementById("toast");
  if (!el) return;
  el.textContent = text;
  el.classList.toggle("err", isError);
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.textContent = ""; }, 6000);
}
