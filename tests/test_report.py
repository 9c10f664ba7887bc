"""The trainer's report: a self-contained HTML page whose figures and numbers come from the
session's raw counts; two sessions compare on the same axes."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest
import storekit

from ashisense.bodymap import REGIONS
from ashisense.report import SessionDigest, digest_session, make_report
from ashisense.report.figures import balance_figure, envelope, force_figure
from ashisense.store import Annotation, Batch, RecorderFault, SQLiteStore
from ashisense_cli import main
from firmware_bridge.blocks import Gap


@pytest.fixture(scope="module")
def two_sessions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Session 1: an instructor (65 kg); session 2: a heavier trainee on the overload script."""
    path = tmp_path_factory.mktemp("report") / "studio.sqlite"
    with SQLiteStore(path) as store:
        sid = storekit.sim_session(store, 90.0, seed=4)
        storekit.sim_session(store, 60.0, scenario="overload", seed=5, therapist_kg=85.0)
        store.add_annotation(sid, Annotation(1.7e9 + 12.5, "heel <on> the lumbar band", "T"))
        store.write(sid, Batch(faults=[RecorderFault(1.7e9 + 30, "dropped", "queue full", 7)],
                               gaps=[Gap(1.7e9 + 40, 1.7e9 + 40.1, 8, "seq jump")]))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def one_report(two_sessions: Path) -> tuple[SessionDigest, str]:
    with SQLiteStore(two_sessions, readonly=True) as store:
        return digest_session(store, 1), make_report([(store, 1)], progress=False)


def test_the_page_is_self_contained_with_every_figure_inlined(
    one_report: tuple[SessionDigest, str],
) -> None:
    page = one_report[1]
    assert not re.search(r"""(src|href)=["'](?!data:)""", page)  # nothing fetched from outside
    assert "<script" not in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 4
    assert all(base64.b64decode(b).startswith(b"\x89PNG\r\n\x1a\n") for b in images)
    for heading in (
        "Feet force over time",
        "Time and peak per body region",
        "Path of the feet on the table",
        "Bar balance",
        "Summary",
        "Alarm log",
    ):
        assert f"{heading}" in page  # fmt: skip


def test_the_summary_figures_are_those_of_the_samples(
    one_report: tuple[SessionDigest, str],
) -> None:
    d, page = one_report
    assert len(d.feet_n) == 90 * 80
    f = d.summary_figures()
    peak_n, region = f.peak_n, f.peak_region
    assert peak_n == pytest.approx(np.nanmax(d.feet_n)) and peak_n > 100
    assert f"{peak_n:.0f} N" in page and region in page
    known = d.region >= 0
    assert sum(r.time_s for r in d.regions) == pytest.approx(known.sum() / 80.0)
    for r in d.regions:
        here = d.feet_n[d.region == REGIONS.index(r.name)]
        if here.size:
            assert r.peak_n == pytest.approx(float(np.nanmax(here)))
    assert d.limit_n is not None and d.limit_n <= 500.0  # the client's max_feet_n caps it
    assert d.alarms_source == "evaluated again"  # recorded without a live engine
    assert "client-0001" in page
    assert "12.5 s, T: heel &lt;on&gt; the lumbar band" in page  # notes, escaped
    assert "30.0 s: dropped: queue full" in page and "40.0 s: 8 samples missing" in page


def test_two_sessions_are_drawn_on_the_same_axes(two_sessions: Path) -> None:
    with SQLiteStore(two_sessions, readonly=True) as store:
        digests = [digest_session(store, 1), digest_session(store, 2)]
        page = make_report([(store, 1), (store, 2)], progress=False)
    (ax,) = [a for a in force_figure(digests).axes if a.get_label() != "<colorbar>"][:1]
    labels = [line.get_label() for line in ax.lines]
    assert digests[0].title in labels and digests[1].title in labels
    assert len([a for a in balance_figure(digests).axes]) == 2  # over time + spread, shared
    assert "session 1" in page and "session 2" in page and " vs " in page
    summary = page.split("<h2>Summary</h2>")[1].split("</table>")[0]
    assert summary.count("<tr>") == len(digests[0].figures()) + 1
    peaks = [d.summary_figures().peak_n for d in digests]
    assert peaks[1] > peaks[0]  # the heavier trainee pressed harder


def test_envelope_keeps_every_peak() -> None:
    t = np.arange(100_000, dtype=np.float64)
    y = np.zeros(100_000)
    y[[17, 50_001, 99_999]] = [5.0, 7.0, 3.0]
    y[200:300] = np.nan
    bins, lo, hi = envelope(t, y, max_points=1000)
    assert len(bins) == 1000 and np.nanmax(hi) == 7.0
    assert sorted(hi[hi > 0]) == [3.0, 5.0, 7.0]
    assert np.nanmax(lo) == 0.0 and np.isnan(lo[2]) and np.isnan(hi[2])  # unknown stays unknown


def test_the_report_command_compares_with_a_session_of_another_file(
    two_sessions: Path, tmp_path: Path
) -> None:
    other = tmp_path / "instructor.sqlite"
    with SQLiteStore(other) as store:
        storekit.sim_session(store, 30.0, seed=9)
    out = tmp_path / "r.html"
    assert main(["report", str(two_sessions), "2", "--out", str(out),
                 "--compare", f"{other}:1"]) == 0  # fmt: skip
    page = out.read_text()
    assert page.count("data:image/png;base64,") == 4 and str(other) in page
    assert main(["report", str(two_sessions), "2", "--out", str(out), "--compare", "x"]) == 2


def test_the_report_agrees_with_itself_and_with_the_session_list(two_sessions: Path) -> None:
    """One duration (as `ashisense sessions`), the limit that held where the feet were for
    every figure and the force plot, and one alarm log row per alarm raised."""
    with SQLiteStore(two_sessions, readonly=True) as store:
        d = digest_session(store, 2)  # the overload script: alarms on region limits
        page = make_report([(store, 2)], progress=False)
        listed = main_output(["sessions", str(two_sessions)])
    duration = d.figures()["duration"]
    assert duration in listed.splitlines()[-1]  # the same text as the session list's
    here = d.region == REGIONS.index("lumbar")
    assert np.all(d.limit_held_n[here] == d.region_limits_n[REGIONS.index("lumbar")])
    over = np.nansum(d.feet_n > d.limit_held_n) / d.rate_hz
    assert d.summary_figures().time_over_limit_s == pytest.approx(over) and over > 0
    assert f"{over:.1f} s" in page
    lumbar = d.region_limits_n[REGIONS.index("lumbar")]
    assert d.limit_n is not None and lumbar < d.limit_n and f"lumbar {lumbar:.0f} N" in page
    (ax,) = force_figure([d]).axes[:1]
    assert any(line.get_label().endswith("limit as it held") for line in ax.lines)
    log = page.split("<h2>Alarm log")[1]
    raised = sum(a.transition == "raised" for a in d.alarms)
    assert raised > 0 and log.count("<tr><td>") == raised  # episodes, not transitions
    assert "→" not in log and "<th>lasted (s)</th>" in log


def main_output(argv: list[str]) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return out.getvalue()
