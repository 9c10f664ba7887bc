"""The guided terminal wizard of `ashisense calibrate` over calibration.CalibrationProcedure.

The wizard only talks (prompts, progress, results) and moves samples from a source to the
procedure: the live link, or with --simulate a simulated rig whose operator follows the prompts.
"""

from __future__ import annotations

import argparse
import queue
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from tqdm import tqdm

from ashisense.errors import AshisenseError
from calibration.errors import UndeterminedGainsError
from calibration.files import CalibrationFile, history, save_calibration
from calibration.geometry import RigGeometry
from calibration.plan import PlanSettings, Step, build_plan
from calibration.procedure import CalibrationProcedure, Update
from calibration.report import format_report
from calibration.simulate import SimTruth, SimulatedOperator, SimulatedTable
from firmware_bridge.blocks import SampleBlock
from firmware_bridge.errors import LinkTimeout
from firmware_bridge.listener import Listener

if TYPE_CHECKING:
    from ashisense.rig import Rig

Ask = Callable[[str], str]
BLOCK_TIMEOUT_S = 5.0


class InputClosedError(AshisenseError, RuntimeError):
    """The wizard asked a question and its input was closed (no one to answer it)."""


def answered(ask: Ask) -> Ask:
    """ask, with a closed input (EOFError) turned into an InputClosedError that says why."""

    def ask_or_raise(prompt: str) -> str:
        try:
            return ask(prompt)
        except EOFError as err:
            raise InputClosedError(
                f"the input closed before the question {prompt.strip()!r} was answered: the "
                "wizard asks at every step, so run it in a terminal (or give one answer a line)"
            ) from err

    return ask_or_raise


class BlockSource(Protocol):
    """Where the wizard gets samples: the device's serial and channels, then blocks."""

    serial: str

    @property
    def channels(self) -> tuple[str, ...]: ...

    def prepare(self, step: Step) -> None: ...

    def next_block(self, timeout_s: float) -> SampleBlock: ...

    def close(self) -> None: ...


class LinkSource(Listener):
    """Blocks from a live firmware_bridge Link, queued for the wizard's thread."""

    def __init__(self, rig: Rig, url: str | None = None):
        self._queue: queue.Queue[SampleBlock | BaseException] = queue.Queue()
        self._link = rig.link(url, listeners=[self])
        self._link.start()
        try:
            hello = self._link.wait_for_hello(BLOCK_TIMEOUT_S)
        except BaseException:
            self._link.stop()
            raise
        self.serial = hello.serial
        self._channels = hello.channels

    @property
    def channels(self) -> tuple[str, ...]:
        return self._channels

    def on_block(self, block: SampleBlock) -> None:
        self._queue.put(block)

    def on_error(self, exc: BaseException) -> None:
        self._queue.put(exc)

    def prepare(self, step: Step) -> None:
        """Forget samples from before the operator said the load is in place."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def next_block(self, timeout_s: float) -> SampleBlock:
        """Everything received so far as one block, waiting up to timeout_s for the first."""
        try:
            items = [self._queue.get(timeout=timeout_s)]
        except queue.Empty as err:
            raise LinkTimeout(
                f"{self._link.url}: no samples from the device for {timeout_s:g} s"
            ) from err
        while len(items) < 10_000:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for item in items:
            if isinstance(item, BaseException):
                raise item
        blocks = [b for b in items if isinstance(b, SampleBlock)]
        if all(b.channels == blocks[0].channels for b in blocks):
            return SampleBlock.concat(blocks)
        return blocks[-1]  # the device restarted with other channels: the procedure says so

    def close(self) -> None:
        self._link.stop()


def _ask_masses(ask: Ask, out: TextIO, question: str, default: tuple[float, ...]) -> tuple:
    """Masses in kg typed as "5, 5, 10" (Enter keeps the default); asks again until valid."""
    shown = ", ".join(f"{m:g}" for m in default)
    while True:
        answer = ask(f"{question} [{shown}]: ").strip()
        if not answer:
            return default
        try:
            masses = tuple(float(a) for a in answer.replace(",", " ").split())
        except ValueError:
            masses = ()
        count_ok = len(masses) == 1 if len(default) == 1 else 1 <= len(masses) <= 10
        if count_ok and all(m > 0 for m in masses):
            return masses
        print(f"  expected masses in kg above 0, such as '{shown}', got {answer!r}", file=out)


def ask_settings(ask: Ask, out: TextIO, groups: tuple[str, ...]) -> PlanSettings:
    """Ask which calibration weights the operator has (Enter keeps the defaults)."""
    d = PlanSettings()
    values: dict[str, Any] = {"groups": groups}
    if any(g.startswith("bar_") for g in groups):
        values["bar_stack_kg"] = _ask_masses(
            ask, out, "Weights to stack on each bar, one by one, in kg", d.bar_stack_kg
        )
        values["bar_single_kg"] = _ask_masses(
            ask, out, "One weight to hang at several places on a bar, kg", (d.bar_single_kg,)
        )[0]
    if "mat" in groups:
        values["mat_stack_kg"] = _ask_masses(
            ask, out, "Weights to stack on the table's centre, one by one, in kg", d.mat_stack_kg
        )
        values["mat_single_kg"] = _ask_masses(
            ask, out, "One weight to place at several places on the table, kg", (d.mat_single_kg,)
        )[0]
    return PlanSettings(**values)


def _outcome_line(update: Update) -> str:
    if update.state == "captured":
        return "  captured."
    if update.state == "finished":
        return "  captured. All steps done."
    return f"  ! {update.message}"


def run_wizard(proc: CalibrationProcedure, source: BlockSource, ask: Ask, out: TextIO) -> bool:
    """Prompt, capture and report each step until the procedure is finished (True) or the
    operator quits (False)."""
    while (step := proc.current) is not None:
        again = " (again)" if step.index in proc.attempted else ""
        # numbered as in the plan, as the procedure's messages name steps to redo
        print(f"\nStep {step.index + 1} of {len(proc.plan)}{again}: {step.prompt}", file=out)
        answer = ask("  [Enter] ready, [s] skip this step, [q] quit: ").strip().lower()
        if answer == "q":
            return False
        if answer == "s":
            if step.kind == "zero":
                print("  a zero step cannot be skipped.", file=out)
            else:
                proc.skip()
                print("  skipped: this step will not be fitted.", file=out)
            continue
        source.prepare(step)
        proc.begin()
        with tqdm(
            total=100, desc="  waiting for rest", file=out, leave=False, disable=None, ncols=90
        ) as bar:
            while True:  # begin() started a capture: feed until its outcome
                update = proc.feed(source.next_block(BLOCK_TIMEOUT_S))
                bar.n = round(100 * update.progress)
                bar.set_postfix_str(f"{update.elapsed_s:.0f} s", refresh=True)
                if not proc.capturing:
                    break
        print(_outcome_line(update), file=out)
    return True


def _agree_to_redo(ask: Ask, n_steps: int) -> bool:
    """Ask whether to do the n_steps steps now (Enter) or quit without saving (q)."""
    while True:
        answer = ask(f"  [Enter] do those {n_steps} steps now, [q] quit without saving: ")
        if answer.strip().lower() in ("", "q"):
            return not answer.strip()


def walk_and_fit(
    proc: CalibrationProcedure,
    source: BlockSource,
    ask: Ask,
    out: TextIO,
    previous: CalibrationFile | None = None,
) -> CalibrationFile | None:
    """Walk the steps, then fit. When the steps cannot determine a group's gains, print why
    and offer to redo the skipped steps that would; None when the operator quits or no
    skipped step can help (nothing is to be saved then)."""
    while run_wizard(proc, source, ask, out):
        try:
            return proc.result(source.serial, previous=previous)
        except UndeterminedGainsError as err:
            print(f"\n! {err}", file=out)
            if not err.redo_steps or not _agree_to_redo(ask, len(err.redo_steps)):
                return None
            proc.unskip(err.redo_steps)
    return None


def _history_dir(args: argparse.Namespace, rig: Rig) -> Path:
    return args.out or rig.calibration_folder(args.rig.parent / "calibrations")


def _simulated_source(geometry: RigGeometry, seed: int) -> SimulatedOperator:
    truth = SimTruth.around_nominal(geometry, 0.02, seed)
    return SimulatedOperator(SimulatedTable(geometry, truth, seed=seed))


def calibrate(args: argparse.Namespace, ask: Ask, out: TextIO) -> int:
    """Load the rig, connect, ask for the weights, walk the steps, report and save (never a
    calibration whose steps cannot determine the gains)."""
    from ashisense.rig import load_rig

    ask = answered(ask)
    rig = load_rig(args.rig)
    geometry = RigGeometry.from_rig(rig)
    groups = tuple(
        g.name
        for g in geometry.groups
        if args.only is None or (g.kind == "bar") == (args.only == "bars")
    )
    if args.simulate:
        source: BlockSource = _simulated_source(geometry, args.seed)
    else:
        url = args.device or rig.device.url
        if url.startswith("sim://"):
            print(
                f"note: {url} simulates sessions, not calibration weights; "
                "use --simulate to try the wizard without hardware",
                file=out,
            )
        source = LinkSource(rig, url)
    try:
        rig.check_channels(source.channels)
        folder = _history_dir(args, rig)
        print(f"Calibrating device {source.serial} ({', '.join(groups)}).", file=out)
        settings = ask_settings(ask, out, groups)
        proc = CalibrationProcedure(geometry, build_plan(geometry, settings))
        weights = sorted({s.mass_kg for s in proc.plan if s.kind == "load"})
        print(
            f"{len(proc.plan)} steps; loads from {weights[0]:g} to {weights[-1]:g} kg. "
            "At each step do what it says, press Enter, then keep clear while it captures.",
            file=out,
        )
        previous = None
        if folder.is_dir():
            same = [cal for _, cal in history(folder) if cal.device_serial == source.serial]
            previous = same[-1] if same else None
        cal = walk_and_fit(proc, source, ask, out, previous)
        if cal is None:
            print("Calibration abandoned; nothing saved.", file=out)
            return 1
    finally:
        source.close()
    print("\n" + format_report(cal), file=out)
    path = save_calibration(cal, folder)
    print(f"\nSaved {path}", file=out)
    if rig.calibration is None or Path(rig.calibration.path).resolve() not in (
        folder.resolve(),
        path.resolve(),
    ):
        print(
            f'To use it, set [calibration] path = "{folder}" in {args.rig.name} and '
            'calibration = "file" on its channels.',
            file=out,
        )
    return 0
