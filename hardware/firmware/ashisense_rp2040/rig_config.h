/*
 * What this rig is: pins, channels and rates of the AshiSense RP2040 + 8 x HX711 board.
 * Plain C, no Arduino headers: the host test harness includes it too, so the HELLO the
 * firmware sends is checked against the host's parser (tests/test_c_packet_code.py).
 */
#ifndef RIG_CONFIG_H
#define RIG_CONFIG_H

#define RIG_DEVICE "ashisense-rp2040-hx711x8"
#define RIG_FIRMWARE "1.0.0"

#define RIG_N_CHANNELS 8
/* Order of SAMPLE counts, bit order of `invalid`, and HX711 i sits on GPIO RIG_PIN_DOUT_FIRST + i. */
static const char *const RIG_CHANNEL_NAMES[RIG_N_CHANNELS] = {
    "bar_left_head", "bar_left_foot", "bar_right_head", "bar_right_foot",
    "mat_head_left", "mat_head_right", "mat_foot_left", "mat_foot_right",
};

/* GPIO numbers (not header pin numbers; see hardware/wiring.md). */
#define RIG_PIN_SCK 2        /* PD_SCK of all eight HX711, one shared line */
#define RIG_PIN_RATE 3       /* RATE of all eight HX711: high = 80 Hz, low = 10 Hz */
#define RIG_PIN_DOUT_FIRST 6 /* DOUT of HX711 i on GPIO 6 + i: GPIO 6..13, contiguous */

/* The client's handset (hardware/wiring.md): push buttons from GPIO 16 + i to GND, read
 * low when pressed. Button i sits on GPIO RIG_PIN_HANDSET_FIRST + i and is sent by the name
 * RIG_HANDSET_BUTTONS[i] (PROTOCOL.md, EVENT client). A rig without a handset reads all
 * four high (pull-ups) and sends no handset event. */
#define RIG_PIN_HANDSET_FIRST 16 /* GPIO 16..19, contiguous */
#define RIG_HANDSET_N_BUTTONS 4
static const char *const RIG_HANDSET_BUTTONS[RIG_HANDSET_N_BUTTONS] = {
    "lighter", "deeper", "stop", "ok",
};
/* Read every 2 ms; a level counts after 10 equal reads (20 ms: contact bounce of a push
 * button lasts a few ms); a button down for 10 s is reported stuck. */
#define RIG_HANDSET_TICK_US 2000u
#define RIG_HANDSET_DEBOUNCE_TICKS 10u
#define RIG_HANDSET_STUCK_TICKS 5000u

#define RIG_DEFAULT_RATE_HZ 80u
/* 1: stream SAMPLEs as soon as a host opens the port; 0: wait for START. */
#define RIG_STREAM_FROM_BOOT 1
/* Conversions after power-up or a RATE change are discarded for this long: the HX711
 * datasheet gives 400 ms output settling at 10 Hz, 50 ms at 80 Hz. */
#define RIG_SETTLE_US 500000u

#endif /* RIG_CONFIG_H */
