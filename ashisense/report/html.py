"""The report as one self-contained HTML page: inline CSS, figures as base64 PNG data URIs."""

from __future__ import annotations

import base64
import html
import io
import math
import time
from collections.abc import Sequence

from matplotlib.figure import Figure

from ashisense.report.digest import SessionDigest
from ashisense.session.episodes import alarm_episodes

#: Alarm episodes shown per session (the export and the session file hold them all).
MAX_ALARM_ROWS = 400
DPI = 110

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
img { max-width: 100%; }
.high { color: #b00000; font-weight: bold; } .medium { color: #a06000; } .low { color: #00788a; }
.muted { color: #777; font-size: 0.85em; }
"""


def png_data_uri(fig: Figure) -> str:
    """A figure as a data: URI (PNG, base64), so the page needs no other file."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _e(value: object) -> str:
    return html.escape(str(value))


def _summary(digests: Sequence[SessionDigest]) -> str:
    rows = [d.figures() for d in digests]
    head = "".join(f"<th>{_e(d.title)}</th>" for d in digests)
    body = "".join(
        f"<tr><th>{_e(key)}</th>" + "".join(f"<td>{_e(r[key])}</td>" for r in rows) + "</tr>"
        for key in rows[0]
    )
    return f"<table><tr><th></th>{head}</tr>{body}</table>"


def _alarm_log(d: SessionDigest) -> str:
    """One row per alarm episode: when, what, value and limit, how long, where."""
    t0 = d.info.meta.started_s
    end_s = t0 + d.info.summary.duration_s
    region = d.region_at
    shown = alarm_episodes(d.alarms, region)
    if not shown:
        return f"<p>No alarms ({_e(d.alarms_source)}).</p>"
    rows = "".join(
        f"<tr><td>{e.t_s - t0:.1f}</td><td>{_e(e.rule_id)}</td>"
        f'<td class="{_e(e.priority)}">{_e(e.priority)}</td><td>{_value(e.value)}</td>'
        f"<td>{_value(e.limit)}</td><td>{e.duration_s(end_s):.1f}"
        f"{'' if e.end_s is not None else ' (to the end)'}</td><td>{_e(e.region or '-')}</td>"
        f"<td>{_e(e.message)}</td></tr>"
        for e in shown[:MAX_ALARM_ROWS]
    )
    more = (
        f'<p class="muted">{len(shown) - MAX_ALARM_ROWS} more alarms not shown: '
        "see `ashisense export` or the session file.</p>"
        if len(shown) > MAX_ALARM_ROWS
        else ""
    )
    return (
        f'<p class="muted">{len(shown)} alarms ({_e(d.alarms_source)}), one row each: when it '
        "was raised, the value and the limit it was raised against, how long its condition "
        "lasted and where the feet were.</p>"
        "<table><tr><th>time (s)</th><th>alarm</th><th>priority</th><th>value</th>"
        f"<th>limit</th><th>lasted (s)</th><th>where</th><th>message</th></tr>{rows}</table>"
        f"{more}"
    )


def _value(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.1f}"


def _notes_and_problems(notes: list[str], problems: list[str]) -> str:
    parts = []
    if notes:
        parts.append("<h3>Notes</h3><ul>" + "".join(f"<li>{n}</li>" for n in notes) + "</ul>")
    if problems:
        parts.append(
            "<h3>Recording</h3><ul>" + "".join(f"<li>{p}</li>" for p in problems) + "</ul>"
        )
    return "".join(parts) or "<p>No notes; nothing was lost while recording.</p>"


def render(
    digests: Sequence[SessionDigest],
    figures: dict[str, Figure],
    notes: Sequence[list[str]],
    problems: Sequence[list[str]],
    source: str,
) -> str:
    """The whole page. notes / problems: per digest, lines already escaped."""
    title = " vs ".join(d.title for d in digests)
    sections = [
        f"<h1>AshiSense session report: {_e(title)}</h1>",
        f'<p class="muted">From {_e(source)}, made {_e(time.strftime("%Y-%m-%d %H:%M"))}. '
        "Every figure is derived again from the raw counts with the session's own rig "
        "snapshot and calibration.</p>",
        "<h2>Summary</h2>",
        _summary(digests),
    ]
    for name, fig in figures.items():
        sections.append(f"<h2>{_e(name)}</h2>")
        sections.append(f'<img alt="{_e(name)}" src="{png_data_uri(fig)}">')
    for d, n, p in zip(digests, notes, problems, strict=True):
        sections.append(f"<h2>Alarm log: {_e(d.title)}</h2>")
        sections.append(_alarm_log(d))
        sections.append(_notes_and_problems(n, p))
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>\n"
    )
