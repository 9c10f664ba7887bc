// Log in with the studio password, then go back where the browser came from. The click (or
// key) that logs in is also the person's consent to alarm sound on the live page.

import { recordSoundConsent } from "./alarms.js";

const form = document.getElementById("login");
const err = document.getElementById("err");

function nextPage() {
  const next = new URLSearchParams(location.search).get("next") || "/live";
  // only paths on this server: never an absolute or protocol-relative URL
  return next.startsWith("/") && !next.startsWith("//") ? next : "/live";
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  err.textContent = "";
  recordSoundConsent();
  const res = await fetch("/api/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({
      password: document.getElementById("password").value,
      name: document.getElementById("name").value,
    }),
  });
  if (res.ok) {
    location.replace(nextPage());
    return;
  }
  const data = await res.json().catch(() => ({}));
  err.textContent = res.status === 401 ? "Wrong password." : data.detail || `Error ${res.status}`;
  document.getElementById("password").select();
});
