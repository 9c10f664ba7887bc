/*
 * handset: debounced push buttons sampled at a fixed tick (the client's handset).
 *
 * Plain C99, no I/O and no clock: the sketch reads the GPIOs once per tick and passes
 * the raw levels in; this part decides what a press is, so that it runs, and is tested,
 * on the host too (tests/test_c_handset.py).
 *
 * A level counts once it has been read the same for `debounce_ticks` ticks in a row:
 * contact bounce on press or release, or a glitch shorter than that, changes nothing.
 * A press is a debounced change from up to down and is reported once; a held button
 * gives no repeats. Every button starts as "down" at init, so a button held (or a cable
 * shorted) at power-up gives no press: it must first be seen up. A button down for
 * `stuck_ticks` is reported stuck (a jammed switch, a pinched cable, a client lying on
 * the handset) and unstuck when it is released; meanwhile the other buttons work as
 * before.
 */
#ifndef HANDSET_H
#define HANDSET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HANDSET_MAX_BUTTONS 8u

typedef struct {
    unsigned n_buttons;
    uint16_t debounce_ticks;
    uint32_t stuck_ticks;             /* 0: never report stuck */
    uint32_t down;                    /* bit i: button i is (debounced) down */
    uint32_t stuck;                   /* bit i: button i is reported stuck */
    uint16_t run[HANDSET_MAX_BUTTONS];  /* ticks in a row the raw level differed from `down` */
    uint32_t held[HANDSET_MAX_BUTTONS]; /* ticks down, counted up to stuck_ticks */
} handset;

/* What one tick changed; bit i = button i. Each set bit deserves one event. */
typedef struct {
    uint32_t pressed; /* the press of these buttons was just accepted */
    uint32_t stuck;   /* these buttons have now been down for stuck_ticks */
    uint32_t unstuck; /* these stuck buttons were just released */
} handset_changes;

/* n_buttons <= HANDSET_MAX_BUTTONS (more are cut to it); debounce_ticks >= 1 (0 is taken
 * as 1). */
void handset_init(handset *h, unsigned n_buttons, uint16_t debounce_ticks, uint32_t stuck_ticks);

/* Feed one tick's raw levels (bit i set: button i reads down). */
handset_changes handset_update(handset *h, uint32_t raw_down);

#ifdef __cplusplus
}
#endif

#endif /* HANDSET_H */
