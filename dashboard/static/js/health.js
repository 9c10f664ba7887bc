// Link health as the header says it: green only while samples really arrive at their rate.
// The device-time rate (link.rate_hz) keeps its last value through a stall, so the words
// come from what arrived over the last second (status) and from the frames this page gets.

import { fmt } from "./common.js";

/** Frames older than this mean no live data on the page: values blank, the header red. */
export const DATA_STALE_S = 0.3;

/** {cls: "ok" | "warn" | "bad", text, title} for the header, from the status's link and the
 * age of the newest frame on this page (s; Infinity before any). */
export function linkHealth(link, frameAgeS) {
  if (!link) return { cls: "warn", text: "connecting…", title: "" };
  const title = [
    `${link.url} ${link.serial || ""}`,
    `device rate ${fmt(link.rate_hz, 1)} Hz (nominal ${fmt(link.nominal_hz, 0)} Hz)`,
    `samples ${link.samples}, lost ${link.lost_samples}, bad packets ${link.bad_packets}, gaps ${link.gaps}, reconnects ${link.reconnects}`,
    link.last_error || "",
  ].join("\n").trim();
  const silentS = Math.max(frameAgeS, link.silent_s ?? 0);
  const silence = isFinite(silentS) ? `no data ${silentS < 10 ? fmt(silentS, 1) : Math.round(silentS)} s` : "no data";
  if (link.state !== "streaming") return { cls: "bad", text: `${link.state} · ${silence}`, title };
  if (frameAgeS > DATA_STALE_S) return { cls: "bad", text: `stalled · ${silence}`, title };
  const rate = link.recent_rate_hz ?? 0;
  const low = link.nominal_hz ? rate < 0.9 * link.nominal_hz : rate <= 0;
  const lost = link.recent_lost > 0 ? ` · lost ${link.recent_lost}` : "";
  return { cls: low || lost ? "warn" : "ok", text: `streaming ${Math.round(rate)} Hz${lost}`, title };
}

/** Show or hide the page's NOT MONITORING banner (body[data-monitoring]); lastAt: the
 * performance.now() of the last message, shown as the clock time data stopped. */
export function showMonitoring(on, lastAt) {
  document.body.dataset.monitoring = on ? "on" : "off";
  document.querySelector("#not-monitoring").classList.toggle("hidden", on);
  if (!on) {
    const since = new Date(Date.now() - (performance.now() - lastAt));
    document.querySelector("#nm-since").textContent = since.toLocaleTimeString([], { hour12: false });
  }
}
