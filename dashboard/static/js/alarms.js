// Alarms as IEC 60601-1-8 shows them: colour and flashing by priority, a sound burst
// pattern by priority (WebAudio), acknowledge and audio pause, the list of shown alarms.

const PRIORITY_RANK = { high: 0, medium: 1, low: 2 };
const MAX_ROWS = 2;
const STATE_TAGS = {
  active: "", acknowledged: "acknowledged", audio_paused: "audio paused", off: "alarm off",
};

/** The alarm rows at the top of the page. Latched (condition over) alarms say so; while
 * `stale` (no live data) every row is marked as last known, steady and without controls. */
export class AlarmView {
  constructor(root, { onAck, onPause, controls = true }) {
    this.root = root;
    this.onAck = onAck;
    this.onPause = onPause;
    this.controls = controls;
    this.stale = false;
    root.addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-act]");
      if (!b) return;
      if (b.dataset.act === "ack") this.onAck(b.dataset.rule || null);
      if (b.dataset.act === "pause") this.onPause(null);
    });
  }

  /** list: one row per hazard ({rule_id, title, priority, state, message, latched,
   * paused_until_s, causes}); message is in words and the studio's unit. */
  render(list, nowS = Date.now() / 1000) {
    const rows = [...list].sort((a, b) =>
      (a.state === "off") - (b.state === "off") ||
      PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
      (b.since_s || 0) - (a.since_s || 0));
    const key = JSON.stringify([this.stale, rows.map((r) => [r.rule_id, r.state, r.message, r.latched])]);
    const pauseLeft = rows.map((r) => r.paused_until_s).filter((x) => x).map((x) => Math.ceil(x - nowS));
    if (key === this.key && pauseLeft.join() === this.pauseKey) return;
    this.key = key;
    this.pauseKey = pauseLeft.join();
    const shown = rows.slice(0, MAX_ROWS).map((r, i) => this._row(r, i === 0, nowS));
    if (rows.length > MAX_ROWS) {
      const more = document.createElement("div");
      more.className = "alarm more";
      more.textContent = `and ${rows.length - MAX_ROWS} more: ` + rows.slice(MAX_ROWS).map((r) => r.title || "alarm").join(", ");
      shown.push(more);
    }
    this.root.replaceChildren(...shown);
  }

  _row(r, first, nowS) {
    const div = document.createElement("div");
    const sounding = !this.stale && (r.state === "active" || r.state === "audio_paused");
    div.className = `alarm ${r.state === "off" ? "off" : r.priority}${sounding ? " flash" : ""}${this.stale ? " stale" : ""}`;
    div.dataset.rule = r.rule_id;
    div.dataset.state = r.state;
    const msg = document.createElement("span");
    msg.className = "msg";
    msg.textContent = r.message + (r.latched ? " · over, acknowledge to clear" : "");
    msg.title = msg.textContent;
    const tag = document.createElement("span");
    tag.className = "tag";
    let tagText = `${r.priority}${STATE_TAGS[r.state] ? " · " + STATE_TAGS[r.state] : ""}`;
    if (r.state === "audio_paused" && r.paused_until_s) tagText += ` ${Math.max(0, Math.ceil(r.paused_until_s - nowS))} s`;
    if (this.stale) tagText = `stale · last known · ${tagText}`;
    tag.textContent = tagText;
    div.append(tag, msg);
    if (this.controls && sounding) {
      const ack = document.createElement("button");
      ack.dataset.act = "ack";
      ack.dataset.rule = r.rule_id;
      ack.textContent = "Acknowledge";
      div.append(ack);
      if (first && r.state === "active") {
        const pause = document.createElement("button");
        pause.dataset.act = "pause";
        pause.textContent = "Pause audio";
        div.append(pause);
      }
    }
    return div;
  }
}

// Burst patterns (pulse start times in s) and repeat intervals after IEC 60601-1-8:
// high 10 pulses (3 + 2, twice), medium 3 pulses, low 2 pulses.
const BURSTS = {
  high: { pulses: [0, 0.18, 0.36, 0.72, 0.9, 1.8, 1.98, 2.16, 2.52, 2.7], every: 6, freq: 880, len: 0.12 },
  medium: { pulses: [0, 0.25, 0.5], every: 8, freq: 660, len: 0.16 },
  low: { pulses: [0, 0.35], every: 20, freq: 523, len: 0.2 },
};

// The person's consent to alarm sound, given by the click (or key) that logs in: kept in this
// browser so the live page can start sound at once (Chromium lets a page reached by a
// same-origin navigation after a click play) or at its first click or key.
const CONSENT_KEY = "ashisense.sound";

/** Note that the person agreed to alarm sound (call from their click or key). */
export function recordSoundConsent() {
  try {
    localStorage.setItem(CONSENT_KEY, new Date().toISOString());
  } catch {
    // storage refused (a private window): the live page asks with its SOUND OFF button
  }
}

function soundConsented() {
  try {
    return localStorage.getItem(CONSENT_KEY) !== null;
  } catch {
    return false;
  }
}

/** Plays the burst of the highest sounding priority; silent when none. `on` says whether the
 * browser lets it play; onChange() is called when that changes. body[data-sound] is "on" or
 * "off", body[data-sound-burst] the priority of the last burst started (for tests). */
export class AlarmSound {
  constructor(onChange = () => {}) {
    this.ctx = null;
    this.priority = null;
    this.nextBurst = 0;
    this.oscillatorsStarted = 0;
    this.onChange = onChange;
    this._firstGesture = () => this.enable();
    setInterval(() => this._tick(), 100);
  }

  get on() {
    return !!this.ctx && this.ctx.state === "running";
  }

  /** Start sound at page load: it runs at once where the browser allows (after the login's
   * click), else at the page's first click or key if the person consented at login. */
  start() {
    if (!this._context()) return this._changed();
    if (!this.on && soundConsented()) {
      for (const kind of ["pointerdown", "keydown"]) {
        document.addEventListener(kind, this._firstGesture, { capture: true, once: true });
      }
    }
    this._changed();
  }

  /** Turn sound on from a click handler (the SOUND OFF button); true when it plays. */
  async enable() {
    if (!this._context()) return false;
    recordSoundConsent();
    try {
      await this.ctx.resume();
    } catch {
      // refused: stays off, and the page keeps saying so
    }
    this._changed();
    return this.on;
  }

  set(priority) {
    if (priority !== this.priority) this.nextBurst = 0;
    this.priority = priority;
  }

  _context() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    if (!this.ctx) {
      this.ctx = new Ctx();
      this.ctx.onstatechange = () => this._changed();
    }
    return this.ctx;
  }

  _changed() {
    document.body.dataset.sound = this.on ? "on" : "off";
    this.onChange(this.on);
  }

  _tick() {
    if (!this.on || !this.priority) return;
    const now = this.ctx.currentTime;
    if (now < this.nextBurst) return;
    const b = BURSTS[this.priority];
    this.nextBurst = now + b.every;
    for (const t of b.pulses) this._pulse(now + 0.05 + t, b.freq, b.len);
    document.body.dataset.soundBurst = this.priority;
  }

  _pulse(at, freq, len) {
    // A few harmonics make the tone easy to place and to hear over music.
    const gain = this.ctx.createGain();
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(0.25, at + 0.015);
    gain.gain.setValueAtTime(0.25, at + len - 0.02);
    gain.gain.linearRampToValueAtTime(0, at + len);
    gain.connect(this.ctx.destination);
    for (const [k, amp] of [[1, 1], [2, 0.5], [3, 0.35], [4, 0.25]]) {
      const osc = this.ctx.createOscillator();
      const g = this.ctx.createGain();
      osc.frequency.value = freq * k;
      g.gain.value = amp / 2.1;
      osc.connect(g).connect(gain);
      osc.start(at);
      osc.stop(at + len);
      this.oscillatorsStarted += 1;
    }
  }
}
