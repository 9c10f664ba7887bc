/*
 * AshiSense rig firmware: Raspberry Pi Pico (RP2040) + 8 x HX711, protocol v1 over USB CDC.
 *
 * Arduino core: arduino-pico (Earle Philhower). Build and flash: hardware/README.md.
 * Pins, channel names and rates: rig_config.h. Wiring: hardware/wiring.md.
 *
 * Two cores, two jobs:
 *  - core 1 (setup1/loop1) only acquires: waits for the eight HX711 to be ready, clocks
 *    them out in parallel (hx711_bus.h) and pushes the raw sample into a lock-free ring.
 *    Nothing else runs there, so USB traffic never delays or stretches an HX711 read.
 *  - core 0 (setup/loop, which also runs the USB stack) talks to the host: command lines
 *    in, and out HELLO, EVENTs and SAMPLEs built with ashiproto. It decides which channels
 *    are invalid (hx711_array health tracking) and sends adc_fault when one fails. It
 *    also reads the client's handset every 2 ms (handset) and sends EVENT client for each
 *    press.
 *
 * Back-pressure: core 0 takes the next sample from the ring only when everything it built
 * before has gone into the USB buffer. If the host stops reading, the ring fills, core 1
 * drops samples (leaving a gap in seq) and, once the host reads again, core 0 sends
 * EVENT overflow {"dropped": N} just before the first sample after the gap.
 *
 * USB CDC carries data only while the host holds DTR (pyserial does when it opens the
 * port): the boot EVENT and a HELLO are therefore sent when the host opens the port (the
 * boot EVENT only the first time, stamped with the boot time), so they are not lost to a
 * port nobody has opened yet.
 */
#include <Arduino.h>
#include <pico/unique_id.h>

#include <ashiproto.h>
#include <handset.h>
#include <hx711_array.h>

#include "hx711_bus.h"
#include "rig_config.h"
#include "sample_ring.h"

// ---- Shared by the two cores -------------------------------------------------------
// Each is written by one core only; 32-bit loads and stores are atomic on the RP2040.
static sample_ring g_ring;                                 // core 1 pushes, core 0 pops
static volatile uint32_t g_rate_hz = RIG_DEFAULT_RATE_HZ;  // written by core 0
static volatile bool g_push_enabled = false;               // written by core 0

// ---- Core 0 state ------------------------------------------------------------------
static const size_t LINE_BYTES = 64;
static const size_t OUT_BYTES = 2048;  // > HELLO + one sample's events and frame + handset events
static const size_t ERROR_ECHO_BYTES = 40;

static hx711_health g_health;
static handset g_handset;
static uint32_t g_handset_next_us = 0;
static uint8_t g_out[OUT_BYTES];  // frames built, waiting for room in the USB buffer
static size_t g_out_len = 0;
static size_t g_out_sent = 0;
static char g_line[LINE_BYTES];
static size_t g_line_len = 0;
static bool g_line_too_long = false;
static bool g_streaming = RIG_STREAM_FROM_BOOT;
static bool g_connected = false;
static bool g_boot_reported = false;
static uint32_t g_boot_t_us = 0;
static uint32_t g_dropped_reported = 0;
static char g_serial[2 * PICO_UNIQUE_BOARD_ID_SIZE_BYTES + 1];

// Fault thresholds follow the rate: stuck at a rail for 0.5 s = open wire; 0.25 s of
// good readings clears a fault.
static uint16_t samples_in(uint32_t rate_hz, uint32_t divisor) {
  uint32_t n = rate_hz / divisor;
  return (uint16_t)(n < 2 ? 2 : n);
}

static void health_reset() {
  uint32_t rate = g_rate_hz;
  hx711_health_init(&g_health, RIG_N_CHANNELS, samples_in(rate, 2), samples_in(rate, 4));
}

// Each builder returns 0 when the frame does not fit; then nothing is queued.
static void queue_frame(size_t n) {
  g_out_len += n;
}

static void queue_event(uint32_t t_us, const char *json, size_t json_len) {
  if (json_len != 0) {
    queue_frame(ashi_build_event(g_out + g_out_len, OUT_BYTES - g_out_len, t_us, json));
  }
}

static void queue_error(const char *message) {
  char json[192];
  queue_event(time_us_32(), json, ashi_event_error_json(json, sizeof json, message));
}

static void queue_hello() {
  char json[512];
  ashi_hello hello = {RIG_DEVICE, g_serial, RIG_FIRMWARE, g_rate_hz, RIG_CHANNEL_NAMES,
                      RIG_N_CHANNELS};
  if (ashi_hello_json(json, sizeof json, &hello) != 0) {
    queue_frame(ashi_build_hello(g_out + g_out_len, OUT_BYTES - g_out_len, json));
  }
}

// RATE pin high = 80 Hz, low = 10 Hz, on all eight chips at once. Core 1 sees the new
// rate, adapts its ready timeout and discards conversions while the chips settle.
static void set_rate(uint32_t rate_hz) {
  char json[64];
  if (rate_hz != 10 && rate_hz != 80) {
    char message[96];
    snprintf(message, sizeof message, "unsupported rate %lu Hz, this device supports 10 or 80",
             (unsigned long)rate_hz);
    queue_error(message);
    return;
  }
  digitalWrite(RIG_PIN_RATE, rate_hz == 80 ? HIGH : LOW);
  g_rate_hz = rate_hz;
  health_reset();
  queue_event(time_us_32(), json, ashi_event_rate_json(json, sizeof json, rate_hz));
}

static void handle_line(const char *line, size_t len) {
  ashi_command cmd = ashi_parse_command(line, len);
  char message[160];
  switch (cmd.kind) {
    case ASHI_CMD_NONE:
      break;
    case ASHI_CMD_HELLO:
      queue_hello();
      break;
    case ASHI_CMD_START:
      g_streaming = true;
      break;
    case ASHI_CMD_STOP:
      g_streaming = false;
      break;
    case ASHI_CMD_RATE:
      set_rate(cmd.rate_hz);
      break;
    case ASHI_CMD_INVALID:
      // Echo what was received (escaped by the JSON writer), so the host log shows it.
      snprintf(message, sizeof message, "%s; got '%.*s'", cmd.error,
               (int)(len < ERROR_ECHO_BYTES ? len : ERROR_ECHO_BYTES), line);
      queue_error(message);
      break;
  }
}

// Reads what the host sent; handles at most one complete line per call.
static bool poll_command() {
  while (Serial.available() > 0) {
    int c = Serial.read();
    if (c < 0) {
      break;
    }
    if (c == '\n') {
      if (g_line_too_long) {
        queue_error("command longer than 63 bytes, ignored");
      } else {
        handle_line(g_line, g_line_len);
      }
      g_line_len = 0;
      g_line_too_long = false;
      return true;
    }
    if (g_line_len < LINE_BYTES - 1) {
      g_line[g_line_len++] = (char)c;
    } else {
      g_line_too_long = true;
    }
  }
  return false;
}

// ---- The client's handset ---------------------------------------------------------
// Buttons switch their GPIO to GND; with the pull-ups a released button, or no handset at
// all, reads high, so a rig without a handset sends no handset event.
static void handset_begin() {
  for (unsigned i = 0; i < RIG_HANDSET_N_BUTTONS; i++) {
    gpio_init(RIG_PIN_HANDSET_FIRST + i);
    gpio_set_dir(RIG_PIN_HANDSET_FIRST + i, GPIO_IN);
    gpio_pull_up(RIG_PIN_HANDSET_FIRST + i);
  }
  handset_init(&g_handset, RIG_HANDSET_N_BUTTONS, RIG_HANDSET_DEBOUNCE_TICKS,
               RIG_HANDSET_STUCK_TICKS);
  g_handset_next_us = time_us_32();
}

// One EVENT per set bit of `buttons`, carrying that button's name.
static void queue_button_events(uint32_t buttons, uint32_t t_us,
                                size_t (*json_of)(char *, size_t, const char *)) {
  char json[64];
  for (unsigned i = 0; i < RIG_HANDSET_N_BUTTONS; i++) {
    if (buttons & (1u << i)) {
      queue_event(t_us, json, json_of(json, sizeof json, RIG_HANDSET_BUTTONS[i]));
    }
  }
}

// Reads the buttons once per tick whether or not a host listens, so the debouncing is
// current when one connects; events go only to a connected host. A press (or a release)
// is stamped with its first steady reading, i.e. when the contact closed, within a tick.
static void poll_handset() {
  const uint32_t mask = (1u << RIG_HANDSET_N_BUTTONS) - 1u;
  uint32_t now = time_us_32();
  if ((int32_t)(now - g_handset_next_us) < 0) {
    return;
  }
  g_handset_next_us += RIG_HANDSET_TICK_US;
  if ((int32_t)(now - g_handset_next_us) >= 0) {
    g_handset_next_us = now + RIG_HANDSET_TICK_US;  // fell behind: skip ticks, never burst
  }
  handset_changes c =
      handset_update(&g_handset, ~(gpio_get_all() >> RIG_PIN_HANDSET_FIRST) & mask);
  if (!g_connected) {
    return;
  }
  uint32_t edge_t_us = now - (RIG_HANDSET_DEBOUNCE_TICKS - 1u) * RIG_HANDSET_TICK_US;
  queue_button_events(c.pressed, edge_t_us, ashi_event_client_json);
  queue_button_events(c.stuck, now, ashi_event_handset_stuck_json);
  queue_button_events(c.unstuck, edge_t_us, ashi_event_handset_unstuck_json);
}

// A host opened the port (DTR up): boot EVENT the first time, then HELLO.
static void poll_connection() {
  bool now = (bool)Serial;
  if (now && !g_connected) {
    g_out_len = g_out_sent = 0;
    g_line_len = 0;
    g_line_too_long = false;
    if (!g_boot_reported) {
      char json[32];
      queue_event(g_boot_t_us, json, ashi_event_boot_json(json, sizeof json));
      g_boot_reported = true;
    }
    queue_hello();
  }
  g_connected = now;
}

// Samples flow only while a host is connected and streaming is on. When they start to
// flow, earlier drops are forgotten (nobody was listening) and faults are reported anew.
static void update_streaming() {
  bool enable = g_connected && g_streaming;
  if (enable && !g_push_enabled) {
    g_dropped_reported = sample_ring_dropped(&g_ring);
    health_reset();
  }
  g_push_enabled = enable;
  if (!enable) {
    while (sample_ring_peek(&g_ring) != NULL) {
      sample_ring_pop(&g_ring);
    }
  }
}

// Turns the oldest sample into frames: overflow EVENT if samples were dropped before it,
// adc_fault EVENTs for channels that just failed, then the SAMPLE itself.
static void queue_next_sample() {
  const rig_sample *s = sample_ring_peek(&g_ring);
  char json[64];
  uint32_t entered_fault;
  uint32_t invalid;
  if (s == NULL) {
    return;
  }
  if ((int32_t)(s->dropped_total - g_dropped_reported) > 0) {
    queue_event(s->t_us, json,
                ashi_event_overflow_json(json, sizeof json, s->dropped_total - g_dropped_reported));
    g_dropped_reported = s->dropped_total;
  }
  invalid = hx711_health_update(&g_health, s->not_ready, s->counts, &entered_fault);
  for (uint32_t ch = 0; ch < RIG_N_CHANNELS; ch++) {
    if (entered_fault & (1u << ch)) {
      queue_event(s->t_us, json, ashi_event_adc_fault_json(json, sizeof json, ch));
    }
  }
  queue_frame(ashi_build_sample(g_out + g_out_len, OUT_BYTES - g_out_len, s->seq, s->t_us,
                                invalid, s->counts, RIG_N_CHANNELS));
  sample_ring_pop(&g_ring);
}

// Moves queued bytes into the USB buffer as room allows; never blocks.
static void flush_out() {
  if (g_out_sent < g_out_len) {
    int room = Serial.availableForWrite();
    if (room > 0) {
      size_t n = min((size_t)room, g_out_len - g_out_sent);
      g_out_sent += Serial.write(g_out + g_out_sent, n);
    }
  }
  if (g_out_sent == g_out_len) {
    g_out_len = g_out_sent = 0;
  }
}

void setup() {
  g_boot_t_us = time_us_32();
  pinMode(RIG_PIN_RATE, OUTPUT);
  digitalWrite(RIG_PIN_RATE, RIG_DEFAULT_RATE_HZ == 80 ? HIGH : LOW);
  pico_get_unique_board_id_string(g_serial, sizeof g_serial);
  health_reset();
  handset_begin();
  Serial.begin(115200);  // USB CDC: the baud rate is ignored
}

void loop() {
  poll_connection();
  update_streaming();
  poll_handset();
  if (!g_connected) {
    return;
  }
  flush_out();
  if (g_out_len != 0) {
    return;  // the host is slow: let the ring absorb it
  }
  if (!poll_command()) {
    queue_next_sample();
  }
  flush_out();
}

// ---- Core 1: acquisition -------------------------------------------------------------

void setup1() {
  hx711_bus_begin();
}

void loop1() {
  static uint32_t rate_hz = 0;
  static uint32_t last_read_us = 0;
  static uint32_t settle_until_us = 0;
  uint32_t snapshots[HX711_BITS];
  int32_t counts[RIG_N_CHANNELS];

  if (g_rate_hz != rate_hz) {  // boot, or a RATE command on core 0
    rate_hz = g_rate_hz;
    last_read_us = time_us_32();
    settle_until_us = last_read_us + RIG_SETTLE_US;
  }
  // A chip that has not finished a conversion 1.5 periods after the last read is late:
  // the others are read anyway and it is marked not ready for this sample.
  uint32_t period_us = 1000000u / rate_hz;
  uint32_t not_ready = hx711_bus_wait_ready(last_read_us, period_us + period_us / 2);
  uint32_t t_us = time_us_32();
  hx711_bus_read(snapshots);
  last_read_us = t_us;
  if ((int32_t)(t_us - settle_until_us) < 0 || !g_push_enabled) {
    return;
  }
  hx711_unpack(snapshots, RIG_PIN_DOUT_FIRST, RIG_N_CHANNELS, counts);
  sample_ring_push(&g_ring, t_us, not_ready, counts);
}
