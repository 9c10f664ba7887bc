/*
 * Eight HX711 on one clock, read in parallel by the RP2040 (core 1 only).
 *
 * Every HX711 gets the same PD_SCK line; their DOUT lines go to consecutive GPIOs
 * (RIG_PIN_DOUT_FIRST .. +7). The RP2040's SIO block latches all GPIO inputs into one
 * 32-bit register (GPIO_IN), so a single gpio_get_all() taken after a rising clock edge
 * captures the current bit of all eight chips at once; shifting the word right by
 * RIG_PIN_DOUT_FIRST puts chip i's bit at position i. One 24-bit read of all chips is 24
 * loads, not 192 digitalRead() calls, and all eight chips shift in lockstep on the same
 * edges, so no chip sees a different clock from another.
 *
 * What the shared clock does NOT do is synchronise the conversions: each HX711 runs from
 * its own on-chip oscillator. The firmware waits until every chip has data ready, then
 * reads all; each chip's conversion ended at some moment within the last period. t_us is
 * the moment of the read. (The ADS131M08 upgrade in hardware/README.md samples all
 * channels at the same instant.)
 *
 * HX711 timing (datasheet): PD_SCK high 0.2..50 us, low >= 0.2 us, DOUT valid 0.1 us after
 * the rising edge; PD_SCK held high > 60 us powers the chip down. 25 pulses = 24 data
 * bits + 1 that selects channel A, gain 128 for the next conversion.
 */
#ifndef HX711_BUS_H
#define HX711_BUS_H

#include <hardware/clocks.h>
#include <hardware/gpio.h>
#include <hardware/sync.h>
#include <hardware/timer.h>

#include <hx711_array.h>

#include "rig_config.h"

#define HX711_BUS_MASK ((1u << RIG_N_CHANNELS) - 1u)

static uint32_t hx711_bus_half_bit_cycles; /* ~1 us of system clock cycles */

/* Configure SCK (low: chips awake) and the DOUT inputs. The pull-ups make an unplugged
 * board or a broken DOUT wire read high, i.e. "never ready", which is reported as a fault
 * instead of reading floating noise as data. */
static inline void hx711_bus_begin(void)
{
    unsigned i;
    gpio_init(RIG_PIN_SCK);
    gpio_set_dir(RIG_PIN_SCK, GPIO_OUT);
    gpio_put(RIG_PIN_SCK, 0);
    for (i = 0; i < RIG_N_CHANNELS; i++) {
        gpio_init(RIG_PIN_DOUT_FIRST + i);
        gpio_set_dir(RIG_PIN_DOUT_FIRST + i, GPIO_IN);
        gpio_pull_up(RIG_PIN_DOUT_FIRST + i);
    }
    hx711_bus_half_bit_cycles = clock_get_hz(clk_sys) / 1000000u;
}

/* Bit i set: DOUT of chip i is high, i.e. its conversion is not ready. */
static inline uint32_t hx711_bus_busy(void)
{
    return (gpio_get_all() >> RIG_PIN_DOUT_FIRST) & HX711_BUS_MASK;
}

/* Wait until all chips are ready or `timeout_us` has passed since `since_us`.
 * Returns the chips still not ready (0 when all are). */
static inline uint32_t hx711_bus_wait_ready(uint32_t since_us, uint32_t timeout_us)
{
    uint32_t busy;
    while ((busy = hx711_bus_busy()) != 0u && time_us_32() - since_us < timeout_us) {
    }
    return busy;
}

/* Clock out one conversion from every chip: snapshots[k] is the GPIO word after the k-th
 * rising edge (MSB first). Interrupts are off for the ~50 us burst: an interrupt during a
 * high phase could stretch it past 60 us and power the chips down. This only delays
 * interrupts on core 1; USB runs on core 0. A chip that was not ready is clocked too (the
 * line is shared); its bits are discarded by the caller through the not-ready mask. */
static inline void hx711_bus_read(uint32_t snapshots[HX711_BITS])
{
    uint32_t irq = save_and_disable_interrupts();
    unsigned k;
    for (k = 0; k < HX711_BITS; k++) {
        gpio_put(RIG_PIN_SCK, 1);
        busy_wait_at_least_cycles(hx711_bus_half_bit_cycles);
        snapshots[k] = gpio_get_all();
        gpio_put(RIG_PIN_SCK, 0);
        busy_wait_at_least_cycles(hx711_bus_half_bit_cycles);
    }
    gpio_put(RIG_PIN_SCK, 1); /* 25th pulse: channel A, gain 128 */
    busy_wait_at_least_cycles(hx711_bus_half_bit_cycles);
    gpio_put(RIG_PIN_SCK, 0);
    restore_interrupts(irq);
}

#endif /* HX711_BUS_H */
