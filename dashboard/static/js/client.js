// The client page: four large buttons for a phone or tablet within the client's reach, on a
// rig without a handset. A press goes to the room's server as a handset press would ("stop"
// alarms at once); the page says plainly whether it arrived.

import { api, toLogin } from "./common.js";

const sent = document.getElementById("sent");
const WORDS = { lighter: "Lighter", deeper: "Deeper", stop: "Stop", ok: "OK" };

function say(text, ok) {
  sent.textContent = text;
  sent.className = `sent ${ok ? "ok" : "bad"}`;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { sent.textContent = ""; sent.className = "sent"; }, 4000);
}

async function press(button) {
  if (navigator.vibrate) navigator.vibrate(60);
  try {
    await api("/api/client/press", { method: "POST", body: { button } });
    say(`${WORDS[button]}: your therapist has been told`, true);
    document.body.dataset.sent = button;
  } catch (err) {
    say(`Not sent (${err.message}): please say it aloud`, false);
  }
}

async function boot() {
  const me = await api("/api/me");
  if (!me.logged_in) return toLogin();
  for (const b of document.querySelectorAll("button[data-button]")) {
    b.addEventListener("click", () => press(b.dataset.button));
  }
  if (!me.live) say("No rig is running in this room: please speak to your therapist", false);
  document.body.dataset.ready = "1";
}

boot();
