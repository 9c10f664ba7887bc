/* hx711_array: see hx711_array.h. */
#include "hx711_array.h"

void hx711_unpack(const uint32_t snapshots[HX711_BITS], unsigned first_gpio, unsigned n_lanes,
                  int32_t *counts)
{
    uint32_t raw[HX711_MAX_LANES] = {0};
    unsigned k;
    unsigned i;
    for (k = 0; k < HX711_BITS; k++) {
        uint32_t word = snapshots[k] >> first_gpio;
        for (i = 0; i < n_lanes; i++) {
            raw[i] = (raw[i] << 1) | ((word >> i) & 1u);
        }
    }
    for (i = 0; i < n_lanes; i++) {
        /* Flip the sign bit and subtract its weight: sign extension without relying on
         * implementation-defined shifts of negative numbers. */
        counts[i] = (int32_t)(raw[i] ^ 0x800000u) - 0x800000;
    }
}

void hx711_health_init(hx711_health *h, unsigned n_lanes, uint16_t stuck_samples,
                       uint16_t recover_samples)
{
    unsigned i;
    h->n_lanes = n_lanes < HX711_MAX_LANES ? n_lanes : HX711_MAX_LANES;
    h->stuck_samples = stuck_samples > 0 ? stuck_samples : 1;
    h->recover_samples = recover_samples;
    h->fault = 0;
    for (i = 0; i < HX711_MAX_LANES; i++) {
        h->clipped_run[i] = 0;
        h->good_run[i] = 0;
    }
}

uint32_t hx711_health_update(hx711_health *h, uint32_t not_ready, const int32_t *counts,
                             uint32_t *entered_fault)
{
    uint32_t before = h->fault;
    uint32_t invalid = 0;
    unsigned i;
    for (i = 0; i < h->n_lanes; i++) {
        uint32_t bit = (uint32_t)1u << i;
        int clipped = counts[i] == HX711_COUNT_MAX || counts[i] == HX711_COUNT_MIN;
        if (not_ready & bit) {
            h->fault |= bit;
            h->clipped_run[i] = 0;
            h->good_run[i] = 0;
        } else if (clipped) {
            if (h->clipped_run[i] < UINT16_MAX) {
                h->clipped_run[i]++;
            }
            if (h->clipped_run[i] >= h->stuck_samples) {
                h->fault |= bit;
            }
            h->good_run[i] = 0;
        } else {
            h->clipped_run[i] = 0;
            if ((h->fault & bit) && ++h->good_run[i] >= h->recover_samples) {
                h->fault &= ~bit;
                h->good_run[i] = 0;
            }
        }
        if ((not_ready & bit) || clipped || (h->fault & bit)) {
            invalid |= bit;
        }
    }
    *entered_fault = h->fault & ~before;
    return invalid;
}
