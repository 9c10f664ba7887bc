/*
 * Single-producer single-consumer ring of samples from core 1 (acquisition) to core 0 (USB).
 *
 * No locks: the producer alone writes `head`, `dropped` and `next_seq`, the consumer alone
 * writes `tail`; each index is published with a release store and read with an acquire
 * load (on the Cortex-M0+ a plain 32-bit load/store plus a DMB), so a slot is never read
 * before it is filled nor overwritten before it is consumed.
 *
 * When the consumer falls behind (the host stopped reading USB), the ring fills and the
 * producer drops the newest sample. Its seq number is used up all the same, so the host
 * sees a gap in seq exactly where the samples are missing, and the next sample carries the
 * dropped total so that core 0 sends EVENT overflow {"dropped": N} just before it.
 */
#ifndef SAMPLE_RING_H
#define SAMPLE_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "rig_config.h"

typedef struct {
    uint32_t t_us;          /* device time of the read */
    uint32_t not_ready;     /* bit i: HX711 i had not signalled data ready by the timeout */
    uint32_t dropped_total; /* samples dropped since boot, before this one */
    uint16_t seq;
    int32_t counts[RIG_N_CHANNELS];
} rig_sample;

/* Power of two; 512 samples = 6.4 s at 80 Hz, 23 KiB of the RP2040's 264 KiB. */
#define SAMPLE_RING_SIZE 512u

typedef struct {
    rig_sample slot[SAMPLE_RING_SIZE];
    uint32_t head;     /* producer: next slot to fill (free-running) */
    uint32_t tail;     /* consumer: next slot to read (free-running) */
    uint32_t dropped;  /* producer: samples dropped since boot */
    uint16_t next_seq; /* producer */
} sample_ring;

/* Producer. Returns false if the ring was full and the sample was dropped. */
static inline bool sample_ring_push(sample_ring *r, uint32_t t_us, uint32_t not_ready,
                                    const int32_t *counts)
{
    uint32_t head = r->head;
    uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    uint16_t seq = r->next_seq++;
    rig_sample *s;
    unsigned i;
    if (head - tail >= SAMPLE_RING_SIZE) {
        __atomic_store_n(&r->dropped, r->dropped + 1u, __ATOMIC_RELEASE);
        return false;
    }
    s = &r->slot[head & (SAMPLE_RING_SIZE - 1u)];
    s->t_us = t_us;
    s->not_ready = not_ready;
    s->dropped_total = r->dropped;
    s->seq = seq;
    for (i = 0; i < RIG_N_CHANNELS; i++) {
        s->counts[i] = counts[i];
    }
    __atomic_store_n(&r->head, head + 1u, __ATOMIC_RELEASE);
    return true;
}

/* Consumer: the oldest sample, or NULL if the ring is empty. */
static inline const rig_sample *sample_ring_peek(sample_ring *r)
{
    uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    return r->tail == head ? (const rig_sample *)0 : &r->slot[r->tail & (SAMPLE_RING_SIZE - 1u)];
}

/* Consumer: release the sample returned by sample_ring_peek. */
static inline void sample_ring_pop(sample_ring *r)
{
    __atomic_store_n(&r->tail, r->tail + 1u, __ATOMIC_RELEASE);
}

/* Consumer: the producer's dropped count as of now. */
static inline uint32_t sample_ring_dropped(sample_ring *r)
{
    return __atomic_load_n(&r->dropped, __ATOMIC_ACQUIRE);
}

#endif /* SAMPLE_RING_H */
