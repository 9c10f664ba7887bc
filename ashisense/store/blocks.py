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


def append_to_chunks(
    open_chunk: SampleBlock | None, blocks: Iterable[SampleBlock], max_samples: int
) -> tuple[SampleBlock | None, list[SampleBlock]]:
    """Where new blocks go in stored chunks of at most `max_samples`: (the open chunk extended
    by the first run of blocks when that run continues it and fits, else None; new chunks)."""
    runs = list(join_blocks(blocks, max_samples))
    if (
        open_chunk is not None
        and runs
        and len(open_chunk) + len(runs[0]) <= max_samples
        and int(runs[0].seq[0]) == int(open_chunk.seq[-1]) + 1
        and runs[0].channels == open_chunk.channels
    ):
        return SampleBlock.concat([open_chunk, runs[0]]), runs[1:]
    return None, runs


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
