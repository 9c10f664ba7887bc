"""Joining consecutive sample blocks into bigger ones (fewer rows stored, fewer steps replayed),
and cutting one where something must happen between its samples."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from firmware_bridge.blocks import SampleBlock


def join_blocks(blocks: Iterable[SampleBlock], max_samples: int) -> Iterator[SampleBlock]:
    """Join runs of consecutive blocks (seq continues, same channels) into blocks of at most
    `max_samples` (a longer block passes whole); a seq jump, a gap, always ends a run."""
    run: list[SampleBlock] = []
    run_n = 0
    for block in blocks:
        if not len(block):
            continue
        if run and (
            block.channels != run[-1].channels
            or int(block.seq[0]) != int(run[-1].seq[-1]) + 1
            or run_n + len(block) > max_samples
        ):
            yield SampleBlock.concat(run) if len(run) > 1 else run[0]
            run, run_n = [], 0
        run.append(block)
        run_n += len(block)
    if run:
        yield SampleBlock.concat(run) if len(run) > 1 else run[0]


def slice_block(block: SampleBlock, start: int, stop: int) -> SampleBlock:
    """Samples start:stop of a block (views, not copies)."""
    part = slice(start, stop)
    return SampleBlock(
        t_s=block.t_s[part],
        t_device_s=block.t_device_s[part],
        seq=block.seq[part],
        counts=block.counts[part],
        invalid=block.invalid[part],
        channels=block.channels,
    )
