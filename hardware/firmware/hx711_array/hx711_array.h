/*
 * hx711_array: board-independent logic for several HX711 converters read in parallel.
 *
 * The GPIO side (clock pulses, reading the pins) is in the board's sketch; this part is
 * plain C99 so that it runs, and is tested, on the host too (tests/test_c_packet_code.py).
 */
#ifndef HX711_ARRAY_H
#define HX711_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HX711_BITS 24u
#define HX711_MAX_LANES 32u
/* The HX711 clips its output to these two codes outside its input range (±0.5·AVDD/gain). */
#define HX711_COUNT_MAX 8388607
#define HX711_COUNT_MIN (-8388607 - 1)

/*
 * Turn the 24 GPIO snapshots of one parallel read into signed counts.
 * snapshots[k] is the whole GPIO input word read after the k-th clock pulse (MSB first);
 * lane i is GPIO first_gpio + i. Each count is the 24-bit two's complement value
 * sign-extended to 32 bits.
 */
void hx711_unpack(const uint32_t snapshots[HX711_BITS], unsigned first_gpio, unsigned n_lanes,
                  int32_t *counts);

/*
 * Per-channel health: which samples are invalid and which channels are in fault.
 *
 * A sample of channel i is invalid when the chip was not ready in time, when it reads a
 * clipped code (HX711_COUNT_MAX or HX711_COUNT_MIN), or while the channel is in fault.
 * A channel enters fault when it was not ready, or when it stayed clipped for
 * `stuck_samples` samples in a row: an open A+/A- wire lets the input float to a rail, so
 * the code sticks at one clip level (brief clipping is an overload and only invalidates
 * those samples). It leaves fault on its `recover_samples`-th good sample in a row (the
 * good samples before that one are still marked invalid: a flaky contact is not trusted
 * at its first good reading).
 */
typedef struct {
    unsigned n_lanes;
    uint16_t stuck_samples;
    uint16_t recover_samples;
    uint16_t clipped_run[HX711_MAX_LANES];
    uint16_t good_run[HX711_MAX_LANES];
    uint32_t fault; /* bit i: channel i is in fault */
} hx711_health;

void hx711_health_init(hx711_health *h, unsigned n_lanes, uint16_t stuck_samples,
                       uint16_t recover_samples);

/* Feed one sample (not_ready: bit i = chip i had not signalled data ready). Returns the
 * invalid bitmask for the SAMPLE packet; *entered_fault gets the channels that went into
 * fault on this sample (each deserves one adc_fault event). */
uint32_t hx711_health_update(hx711_health *h, uint32_t not_ready, const int32_t *counts,
                             uint32_t *entered_fault);

#ifdef __cplusplus
}
#endif

#endif /* HX711_ARRAY_H */
