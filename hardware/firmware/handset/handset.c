/* Debounced handset buttons: see handset.h. */
#include "handset.h"

void handset_init(handset *h, unsigned n_buttons, uint16_t debounce_ticks, uint32_t stuck_ticks)
{
    unsigned i;
    h->n_buttons = n_buttons < HANDSET_MAX_BUTTONS ? n_buttons : HANDSET_MAX_BUTTONS;
    h->debounce_ticks = debounce_ticks == 0u ? 1u : debounce_ticks;
    h->stuck_ticks = stuck_ticks;
    h->down = (1u << h->n_buttons) - 1u; /* unknown at power-up: taken as down */
    h->stuck = 0;
    for (i = 0; i < HANDSET_MAX_BUTTONS; i++) {
        h->run[i] = 0;
        h->held[i] = 0;
    }
}

/* Button i (bit `bit`) read `raw` this tick: debounce it, then count how long it is down. */
static void update_button(handset *h, unsigned i, uint32_t bit, int raw, handset_changes *c)
{
    int down = (h->down & bit) != 0u;
    if (raw != down && ++h->run[i] >= h->debounce_ticks) {
        h->run[i] = 0;
        h->held[i] = 0;
        h->down ^= bit;
        down = raw;
        if (down) {
            c->pressed |= bit;
        } else if (h->stuck & bit) {
            h->stuck &= ~bit;
            c->unstuck |= bit;
        }
    } else if (raw == down) {
        h->run[i] = 0;
    }
    if (down && h->stuck_ticks != 0u && h->held[i] < h->stuck_ticks &&
        ++h->held[i] == h->stuck_ticks) {
        h->stuck |= bit;
        c->stuck |= bit;
    }
}

handset_changes handset_update(handset *h, uint32_t raw_down)
{
    handset_changes c = {0u, 0u, 0u};
    unsigned i;
    for (i = 0; i < h->n_buttons; i++) {
        uint32_t bit = 1u << i;
        update_button(h, i, bit, (raw_down & bit) != 0u, &c);
    }
    return c;
}
