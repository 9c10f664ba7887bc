// The client's voice on the live page: a press ("lighter", "deeper", "ok") shown at once as
// a large cue in the middle of the screen with a short chime of its own, never an alarm
// banner or an alarm sound ("stop" is an alarm: the alarm rows show it, this cue too).

import { fmtForce } from "./common.js";

const SHOW_S = 5;
const STALE_S = 5; // a press older than this when it arrives (a new viewer) is not cued
const WORDS = { lighter: "LIGHTER ▼", deeper: "DEEPER ▲", ok: "OK ✓", stop: "STOP" };
// Two soft sine notes: falling for lighter, rising for deeper; one for ok. Not IEC bursts.
const CHIMES = { lighter: [784, 523], deeper: [523, 784], ok: [659], stop: [] };

export class PressCue {
  constructor() {
    this.el = document.createElement("div");
    this.el.className = "press-cue hidden";
    this.el.setAttribute("role", "status");
    this.el.setAttribute("aria-live", "assertive");
    document.body.append(this.el);
    this.ctx = null; // an AudioContext once the user enabled sound (browsers ask a click)
  }

  /** Show a press message ({button, t_s, feet_n, region_text}); nowS: the server's newest
   * time known to the page, to leave out a press a new viewer got from before. */
  show(m, units, nowS) {
    if (nowS !== null && nowS !== undefined && nowS - m.t_s > STALE_S) return;
    const word = document.createElement("div");
    word.className = "word";
    word.textContent = WORDS[m.button] || m.button;
    const detail = document.createElement("div");
    detail.className = "detail";
    const where = m.region_text ? ` on the ${m.region_text}` : "";
    const force = m.feet_n !== null ? `${fmtForce(m.feet_n, units)} ${units}` : "force unknown";
    detail.textContent = `the client asks${where} · ${force}${m.source === "page" ? " · client page" : ""}`;
    this.el.replaceChildren(word, detail);
    this.el.className = `press-cue ${m.button}`;
    document.body.dataset.cue = m.button;
    this._chime(CHIMES[m.button] || []);
    clearTimeout(this.fade);
    clearTimeout(this.hide);
    this.fade = setTimeout(() => this.el.classList.add("fading"), SHOW_S * 1000);
    this.hide = setTimeout(() => {
      this.el.classList.add("hidden");
      document.body.dataset.cue = "";
    }, SHOW_S * 1000 + 700);
  }

  _chime(freqs) {
    const ctx = this.ctx;
    if (!ctx || ctx.state !== "running") return;
    freqs.forEach((f, i) => {
      const at = ctx.currentTime + 0.02 + i * 0.22;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0, at);
      gain.gain.linearRampToValueAtTime(0.3, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.001, at + 0.5);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.55);
    });
  }
}
