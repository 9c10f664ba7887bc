// The review's lists: the alarm log (one row per alarm episode: type, priority, value,
// limit, region, duration; filterable; a click jumps to its moment), the trainer's notes
// (add at the playhead or over a range, edit and delete one's own), and the alarms a
// re-analysis would have raised.

import { REGION_NAMES, api, durationText, toast } from "./common.js";
import { parseTime } from "./review_compare.js";

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

/** Rows of episodes into a table body; a click on a row calls onJump(episode). */
export function episodeRows(tbody, episodes, t0, onJump, withRegion = true) {
  tbody.replaceChildren(...episodes.map((e) => {
    const tr = document.createElement("tr");
    tr.dataset.t = String(e.t_s);
    tr.dataset.priority = e.priority;
    const what = cell("", "what");
    const dot = document.createElement("span");
    dot.className = `pri ${e.priority}`;
    const where = document.createElement("div");
    where.className = "where";
    where.textContent = `${e.priority}${withRegion ? " · " + (e.region ? REGION_NAMES[e.region] || e.region : "where unknown") : ""}`;
    what.append(dot, e.title, where);
    what.title = e.message;
    const lasted = `${e.duration_s.toFixed(1)} s${e.end_s === null ? " →" : ""}`;
    tr.append(cell(durationText(e.t_s - t0)), what, cell(`${e.value_text} / ${e.limit_text}`, "num"), cell(lasted, "num"));
    tr.addEventListener("click", () => onJump(e));
    return tr;
  }));
}

export class AlarmLog {
  constructor(onJump) {
    this.onJump = onJump;
    this.tbody = document.querySelector("#alarmlog tbody");
    this.priority = document.querySelector("#log-priority");
    this.text = document.querySelector("#log-text");
    this.count = document.querySelector("#log-count");
    this.priority.onchange = () => this.render();
    this.text.oninput = () => this.render();
  }

  set(d, units) {
    this.d = d;
    this.units = units;
    this.render();
  }

  render() {
    if (!this.d) return;
    const p = this.priority.value, q = this.text.value.trim().toLowerCase();
    const shown = this.d.episodes.filter((e) => (!p || e.priority === p) &&
      (!q || `${e.title} ${e.rule_id} ${e.region} ${REGION_NAMES[e.region] || ""} ${e.message}`.toLowerCase().includes(q)));
    episodeRows(this.tbody, shown, this.d.t0, this.onJump);
    this.count.textContent = `${shown.length} of ${this.d.episodes.length}`;
  }

  /** Mark the rows whose alarm lasts at time t. */
  mark(t) {
    for (const tr of this.tbody.children) {
      const e = this.d.episodes.find((x) => String(x.t_s) === tr.dataset.t);
      tr.classList.toggle("current", !!e && e.t_s <= t && t <= e.t_s + e.duration_s);
    }
  }
}

export class NotesPanel {
  /** playhead(): the playhead time; reload(): fetch the session again; onJump(t). */
  constructor(playhead, reload, onJump) {
    this.playhead = playhead;
    this.reload = reload;
    this.onJump = onJump;
    this.form = document.querySelector("#note-form");
    this.textEl = document.querySelector("#note-text");
    this.range = document.querySelector("#note-range");
    this.end = document.querySelector("#note-end");
    this.list = document.querySelector("#notelist");
    this.add = document.querySelector("#note-add");
    this.cancel = document.querySelector("#note-cancel");
    this.editing = null;
    this.range.onchange = () => {
      this.end.disabled = !this.range.checked;
      if (this.range.checked && !this.end.value) this.end.value = durationText(this.playhead() - this.d.t0 + 10);
    };
    this.cancel.onclick = () => this.reset();
    this.form.addEventListener("submit", (ev) => { ev.preventDefault(); this.save(); });
  }

  set(d) {
    this.d = d;
    this.add.disabled = false;
    this.render();
  }

  render() {
    const t0 = this.d.t0;
    this.list.replaceChildren(...this.d.notes.map((n) => {
      const li = document.createElement("li");
      li.dataset.id = String(n.id);
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = durationText(n.t_s - t0) + (n.t_end_s !== null ? `–${durationText(n.t_end_s - t0)}` : "");
      when.onclick = () => this.onJump(n.t_s);
      const text = document.createElement("span");
      text.className = "text";
      text.textContent = n.text;
      const by = document.createElement("span");
      by.className = "by";
      by.textContent = ` · ${n.author || "note"}`;
      li.append(when, text, by);
      if (n.own) {
        const edit = document.createElement("button");
        edit.textContent = "Edit";
        edit.className = "edit";
        edit.onclick = () => this.startEdit(n);
        const del = document.createElement("button");
        del.textContent = "Delete";
        del.className = "delete";
        del.onclick = () => this.remove(n);
        li.append(edit, del);
      }
      return li;
    }));
  }

  startEdit(n) {
    this.editing = n;
    this.textEl.value = n.text;
    this.range.checked = n.t_end_s !== null;
    this.end.disabled = !this.range.checked;
    this.end.value = n.t_end_s !== null ? durationText(n.t_end_s - this.d.t0) : "";
    this.add.textContent = "Save note";
    this.cancel.classList.remove("hidden");
    this.textEl.focus();
  }

  reset() {
    this.editing = null;
    this.textEl.value = "";
    this.range.checked = false;
    this.end.disabled = true;
    this.end.value = "";
    this.add.textContent = "Add note";
    this.cancel.classList.add("hidden");
  }

  async save() {
    const text = this.textEl.value.trim();
    if (!text) return;
    const t_s = this.editing ? this.editing.t_s : this.playhead();
    let t_end_s = null;
    if (this.range.checked) {
      const e = parseTime(this.end.value);
      if (e === null) return toast("the range's end: write it as m:ss", true);
      t_end_s = this.d.t0 + e;
    }
    const sid = this.d.session.id;
    try {
      if (this.editing) await api(`/api/sessions/${sid}/notes/${this.editing.id}`, { method: "PUT", body: { t_s, t_end_s, text } });
      else await api(`/api/sessions/${sid}/notes`, { method: "POST", body: { t_s, t_end_s, text } });
    } catch (err) {
      return toast(err.message, true);
    }
    this.reset();
    await this.reload();
  }

  async remove(n) {
    try {
      await api(`/api/sessions/${this.d.session.id}/notes/${n.id}`, { method: "DELETE" });
    } catch (err) {
      return toast(err.message, true);
    }
    if (this.editing && this.editing.id === n.id) this.reset();
    await this.reload();
  }
}
