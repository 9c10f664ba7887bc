"""The trainer's report: one self-contained HTML page per session, or two side by side.

`make_report([(store, id)], ...)` derives each session again from its raw counts
(digest.py), draws the figures (figures.py) and renders the page (html.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from tqdm import tqdm

from ashisense.alarms import RuleSet
from ashisense.bodymap import BodyMap
from ashisense.client.comfort import ComfortMap
from ashisense.report.comfort import comfort_figure, comfort_until, press_lines
from ashisense.report.digest import SessionDigest, digest_session
from ashisense.report.figures import FIGURES
from ashisense.report.html import render
from ashisense.store.base import SessionStore

# (`escape` is imported by name: the submodule ashisense.report.html shadows a plain
# `import html` in this package's namespace.)

#: Notes and recording problems listed per session.
MAX_LISTED = 50


def _listed(lines: list[str]) -> list[str]:
    extra = len(lines) - MAX_LISTED
    return lines[:MAX_LISTED] + ([f"… and {extra} more"] if extra > 0 else [])


def _notes(store: SessionStore, d: SessionDigest) -> list[str]:
    t0 = d.info.meta.started_s
    return _listed(
        [
            f"{a.t_s - t0:.1f}"
            + ("" if a.t_end_s is None else f"–{a.t_end_s - t0:.1f}")
            + f" s, {escape(a.author or 'note')}: {escape(a.text)}"
            for a in store.annotations(d.info.id)
        ]
    )


def _problems(store: SessionStore, d: SessionDigest) -> list[str]:
    t0 = d.info.meta.started_s
    gaps = [
        f"{g.t_start_s - t0:.1f} s: "
        + ("an unknown number of" if g.lost < 0 else str(g.lost))
        + f" samples missing ({escape(g.reason)})"
        for g in store.gaps(d.info.id)
    ]
    faults = [
        f"{f.t_s - t0:.1f} s: {escape(f.kind)}: {escape(f.message)}"
        for f in store.faults(d.info.id)
    ]
    return _listed(sorted(gaps + faults, key=lambda line: float(line.split(" s:")[0])))


def make_report(
    sessions: Sequence[tuple[SessionStore, int]],
    *,
    rules: RuleSet | None = None,
    source: str = "",
    progress: bool = True,
) -> str:
    """The HTML page for one session, or two compared on the same axes.

    rules: evaluate the alarms with this rule set instead of showing the recorded log.
    """
    digests, notes, problems = [], [], []
    comforts: list[tuple[str, BodyMap, ComfortMap]] = []
    for store, session_id in sessions:
        total = store.sample_count(session_id)
        with tqdm(total=total, unit="samples", unit_scale=True, desc=f"session {session_id}",
                  disable=not progress) as bar:  # fmt: skip
            d = digest_session(store, session_id, rules=rules, on_samples=bar.update)
        digests.append(d)
        notes.append(_notes(store, d) + _listed(press_lines(store, d)))
        problems.append(_problems(store, d))
        comfort = comfort_until(store, d)
        if comfort is not None and comfort.regions and d.body is not None:
            comforts.append((d.title, d.body, comfort))
    steps = tqdm(FIGURES.items(), desc="figures", disable=not progress)
    figures = {name: draw(digests) for name, draw in steps}
    if comforts:
        figures["Client's comfort map"] = comfort_figure(comforts)
    return render(digests, figures, notes, problems, source)


__all__ = ["SessionDigest", "digest_session", "make_report"]
