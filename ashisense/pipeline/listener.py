"""The pipeline as a firmware_bridge Listener: blocks in, estimates out to sinks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from ashisense.pipeline.core import Pipeline
from ashisense.pipeline.types import EstimateBlock, GridEstimate
from firmware_bridge.blocks import Gap, GridBlock, SampleBlock
from firmware_bridge.listener import Listener
from firmware_bridge.protocol import Hello

log = logging.getLogger(__name__)


class PipelineListener(Listener):
    """Runs a Pipeline on the dispatcher thread and hands each estimate to every sink.

    on_hello checks the device's channels against the rig (RigMismatchError otherwise, which
    the dispatcher hands back to on_error, and on to the error sinks) and sets the sample rate;
    a gap restarts the windows and filters so that nothing is bridged across lost samples.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        sinks: Iterable[Callable[[EstimateBlock], None]] = (),
        grid_sinks: Iterable[Callable[[GridEstimate], None]] = (),
        error_sinks: Iterable[Callable[[BaseException], None]] = (),
    ) -> None:
        self.pipeline = pipeline
        self.sinks = list(sinks)
        self.grid_sinks = list(grid_sinks)
        self.error_sinks = list(error_sinks)

    def on_hello(self, hello: Hello) -> None:
        self.pipeline.rig.check_channels(hello.channels)  # raises RigMismatchError
        self.pipeline.set_rate(hello.rate_hz)

    def on_block(self, block: SampleBlock) -> None:
        est = self.pipeline.process(block)
        for sink in self.sinks:
            sink(est)

    def on_grid(self, grid: GridBlock) -> None:
        est = self.pipeline.process_grid(grid)
        for sink in self.grid_sinks:
            sink(est)

    def on_gap(self, gap: Gap) -> None:
        log.debug("gap of %s samples (%s): restarting windows and filters", gap.lost, gap.reason)
        self.pipeline.reset_stream()

    def on_error(self, exc: BaseException) -> None:
        for sink in self.error_sinks:
            sink(exc)
