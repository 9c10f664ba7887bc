/*
 * Host test harness for the firmware's portable C: prints what the C code produces so that
 * tests/test_c_packet_code.py can compare it with the Python reference encoder.
 *
 *   test_vectors_main            fixed test vectors, one "name hex" line each
 *   test_vectors_main --lines    reads request lines on stdin, answers one line each:
 *     S seq t_us invalid c0 c1 ...      -> hex of the SAMPLE frame ("-" if it does not fit)
 *     C <command text>                  -> parser result: NONE|HELLO|START|STOP|RATE n|INVALID msg
 *     E <hex bytes>                     -> hex of the error-event JSON with that message
 *     U first_gpio n w0 .. w23          -> n counts unpacked from 24 GPIO snapshots
 *     H n stuck recover                 -> starts a health tracker, answers "ok"
 *     h not_ready c0 .. c(n-1)          -> "invalid entered_fault" of that sample
 *     K n debounce_ticks stuck_ticks    -> starts a handset debouncer, answers "ok"
 *     k raw_down                        -> "pressed stuck unstuck" bitmasks of that tick
 *     B t_us i                          -> hex of the EVENT client frame of handset button i
 *
 * Host only: this file sits in the Arduino library folder, and the guard keeps its main()
 * out of firmware builds.
 */
#ifndef ARDUINO

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ashisense_rp2040/rig_config.h"
#include "../handset/handset.h"
#include "../hx711_array/hx711_array.h"
#include "ashiproto.h"

#define FRAME_CAP (ASHI_FRAME_BYTES(ASHI_MAX_PACKET_BYTES) + 64u)
#define GUARD_BYTES 16u

static uint8_t frame_buf[FRAME_CAP + GUARD_BYTES];

static void print_hex(const char *name, const uint8_t *data, size_t len)
{
    size_t i;
    if (name != NULL) {
        printf("%s ", name);
    }
    if (len == 0) {
        putchar('-');
    }
    for (i = 0; i < len; i++) {
        printf("%02x", data[i]);
    }
    putchar('\n');
}

/* ---- fixed vectors ------------------------------------------------------------------ */

static void vector_samples(void)
{
    static const int32_t extremes[8] = {-8388608, 8388607, 8388608, -8388609,
                                        0,        -1,      INT32_MIN, INT32_MAX};
    int32_t counts[ASHI_MAX_CHANNELS];
    int32_t pair[2] = {1, -1};
    size_t i;
    print_hex("protocol_vector", frame_buf,
              ashi_build_sample(frame_buf, FRAME_CAP, 1, 1000, 0, pair, 2));
    for (i = 0; i < ASHI_MAX_CHANNELS; i++) {
        counts[i] = extremes[i % 8];
    }
    print_hex("sample_wrap_all_invalid_32ch", frame_buf,
              ashi_build_sample(frame_buf, FRAME_CAP, 65535u, 4294967295u, 0xFFFFFFFFu,
                                counts, ASHI_MAX_CHANNELS));
    print_hex("sample_no_channels", frame_buf,
              ashi_build_sample(frame_buf, FRAME_CAP, 0, 0, 0, counts, 0));
    memset(counts, 0, sizeof counts);
    print_hex("sample_zeros_8ch", frame_buf,
              ashi_build_sample(frame_buf, FRAME_CAP, 0, 0, 0, counts, 8));
}

static void print_event(const char *name, uint32_t t_us, const char *json, size_t json_len)
{
    print_hex(name, frame_buf,
              json_len == 0 ? 0 : ashi_build_event(frame_buf, FRAME_CAP, t_us, json));
}

static void vector_hello_and_events(void)
{
    char json[1024];
    ashi_hello hello;
    size_t n;
    hello.device = RIG_DEVICE;
    hello.serial = "E6614103E7452D2F";
    hello.firmware = RIG_FIRMWARE;
    hello.rate_hz = RIG_DEFAULT_RATE_HZ;
    hello.channels = RIG_CHANNEL_NAMES;
    hello.n_channels = RIG_N_CHANNELS;
    n = ashi_hello_json(json, sizeof json, &hello);
    print_hex("hello_json", (const uint8_t *)json, n);
    print_hex("hello_rp2040", frame_buf, n == 0 ? 0 : ashi_build_hello(frame_buf, FRAME_CAP, json));

    print_event("event_boot", 0, json, ashi_event_boot_json(json, sizeof json));
    print_event("event_overflow", 4294967295u, json,
                ashi_event_overflow_json(json, sizeof json, 4294967295u));
    print_event("event_adc_fault", 123456789u, json,
                ashi_event_adc_fault_json(json, sizeof json, 7));
    print_event("event_rate", 1000, json, ashi_event_rate_json(json, sizeof json, 10));
    print_event("event_error", 42, json,
                ashi_event_error_json(json, sizeof json, "bad \"RATE\"\\ \t\x01\x7f\xc3\xa9"));
}

/* The handset events, one per button of the rig (named event_client_<button>). */
static void vector_handset_events(void)
{
    char json[64];
    char name[64];
    size_t i;
    for (i = 0; i < RIG_HANDSET_N_BUTTONS; i++) {
        snprintf(name, sizeof name, "event_client_%s", RIG_HANDSET_BUTTONS[i]);
        print_event(name, 4000000000u + (uint32_t)i, json,
                    ashi_event_client_json(json, sizeof json, RIG_HANDSET_BUTTONS[i]));
    }
    print_event("event_handset_stuck", 77, json,
                ashi_event_handset_stuck_json(json, sizeof json, "stop"));
    print_event("event_handset_unstuck", 78, json,
                ashi_event_handset_unstuck_json(json, sizeof json, "stop"));
    /* {"event":"client","button":"lighter"} is 37 characters: it needs 38 bytes. */
    printf("len_client_json_cap_37 %lu\n",
           (unsigned long)ashi_event_client_json(json, 37, "lighter"));
    printf("len_client_json_cap_38 %lu\n",
           (unsigned long)ashi_event_client_json(json, 38, "lighter"));
}

static void vector_grids(void)
{
    static uint16_t taxels[64 * 127];
    size_t i;
    memset(taxels, 0, sizeof taxels);
    print_hex("grid_zeros", frame_buf, ashi_build_grid(frame_buf, FRAME_CAP, 0, 0, 3, 4, taxels));
    /* 4 x 127: a row of 254 non-zero bytes, a row of zeros, a row of 0xFF, then zeros
     * alternating with non-zero bytes: every COBS block length shows up. */
    for (i = 0; i < 127; i++) {
        taxels[i] = 0x0101u;
        taxels[127 + i] = 0;
        taxels[254 + i] = 0xFFFFu;
        taxels[381 + i] = (i % 2) ? 0x0001u : 0x0100u;
    }
    print_hex("grid_long_runs", frame_buf,
              ashi_build_grid(frame_buf, FRAME_CAP, 0x0101u, 0x01010101u, 4, 127, taxels));
    /* The largest grid under the 16 KiB packet limit; a zero now and then. */
    for (i = 0; i < 64u * 127u; i++) {
        taxels[i] = (uint16_t)((i * 2654435761u) >> 16);
        if (i % 509u == 0) {
            taxels[i] = 0;
        }
    }
    print_hex("grid_largest", frame_buf,
              ashi_build_grid(frame_buf, FRAME_CAP, 777, 4000000000u, 64, 127, taxels));
}

static void vector_cobs(void)
{
    static uint8_t src[600];
    static const struct {
        const char *name;
        size_t non_zero;   /* leading non-zero bytes */
        int trailing_zero; /* then one 0x00 */
    } cases[] = {
        {"cobs_empty", 0, 0},          {"cobs_single_zero", 0, 1},
        {"cobs_253_non_zero", 253, 0}, {"cobs_254_non_zero", 254, 0},
        {"cobs_254_then_zero", 254, 1}, {"cobs_255_non_zero", 255, 0},
        {"cobs_508_non_zero", 508, 0}, {"cobs_509_then_zero", 509, 1},
    };
    size_t c;
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t i;
        size_t len = cases[c].non_zero;
        for (i = 0; i < len; i++) {
            src[i] = (uint8_t)(i % 255u + 1u);
        }
        if (cases[c].trailing_zero) {
            src[len++] = 0;
        }
        print_hex(cases[c].name, frame_buf, ashi_cobs_encode(src, len, frame_buf, FRAME_CAP));
    }
}

/* A builder given `cap` bytes must not write past them; returns its result or -1 if it did. */
static long guarded_sample(size_t cap, size_t n_channels)
{
    static const int32_t counts[ASHI_MAX_CHANNELS + 1] = {1, -1};
    size_t i;
    size_t n;
    memset(frame_buf, 0xA5, sizeof frame_buf);
    n = ashi_build_sample(frame_buf, cap, 1, 1000, 0, counts, n_channels);
    for (i = cap; i < cap + GUARD_BYTES; i++) {
        if (frame_buf[i] != 0xA5) {
            return -1;
        }
    }
    return (long)n;
}

static void vector_limits(void)
{
    static uint16_t taxels[91 * 91];
    char json[64];
    ashi_hello hello;
    printf("len_sample_cap_exact %ld\n", guarded_sample(25, 2));
    printf("len_sample_cap_short %ld\n", guarded_sample(24, 2));
    printf("len_sample_cap_zero %ld\n", guarded_sample(0, 2));
    printf("len_sample_33_channels %ld\n", guarded_sample(FRAME_CAP, 33));
    printf("len_grid_over_16k %lu\n",
           (unsigned long)ashi_build_grid(frame_buf, FRAME_CAP, 0, 0, 91, 91, taxels));
    printf("len_cobs_cap_short %lu\n",
           (unsigned long)ashi_cobs_encode((const uint8_t *)"ab", 2, frame_buf, 2));
    hello.device = RIG_DEVICE;
    hello.serial = "x";
    hello.firmware = RIG_FIRMWARE;
    hello.rate_hz = 80;
    hello.channels = RIG_CHANNEL_NAMES;
    hello.n_channels = RIG_N_CHANNELS;
    printf("len_hello_json_cap_short %lu\n",
           (unsigned long)ashi_hello_json(json, sizeof json, &hello));
    /* {"event":"boot"} is 16 characters: it needs 17 bytes with its NUL. */
    printf("len_boot_json_cap_16 %lu\n", (unsigned long)ashi_event_boot_json(json, 16));
    printf("len_boot_json_cap_17 %lu\n", (unsigned long)ashi_event_boot_json(json, 17));
    printf("crc32_check %08lx\n",
           (unsigned long)ashi_crc32(0, (const uint8_t *)"123456789", 9));
    printf("crc32_chained %08lx\n",
           (unsigned long)ashi_crc32(ashi_crc32(0, (const uint8_t *)"12345", 5),
                                     (const uint8_t *)"6789", 4));
}

/* ---- stdin requests ----------------------------------------------------------------- */

/* Reads up to max unsigned/signed integers from text; returns how many. */
static size_t read_ints(const char *text, long long *out, size_t max)
{
    size_t n = 0;
    char *end;
    while (n < max) {
        long long v = strtoll(text, &end, 10);
        if (end == text) {
            break;
        }
        out[n++] = v;
        text = end;
    }
    return n;
}

static void answer_sample(const char *args)
{
    long long v[3 + ASHI_MAX_CHANNELS + 1];
    int32_t counts[ASHI_MAX_CHANNELS + 1];
    size_t n = read_ints(args, v, sizeof v / sizeof v[0]);
    size_t i;
    for (i = 3; i < n; i++) {
        counts[i - 3] = (int32_t)v[i];
    }
    print_hex(NULL, frame_buf,
              ashi_build_sample(frame_buf, FRAME_CAP, (uint16_t)v[0], (uint32_t)v[1],
                                (uint32_t)v[2], counts, n - 3));
}

static void answer_command(const char *text)
{
    static const char *const kinds[] = {"NONE", "HELLO", "START", "STOP", "RATE", "INVALID"};
    ashi_command c = ashi_parse_command(text, strlen(text));
    if (c.kind == ASHI_CMD_RATE) {
        printf("RATE %lu\n", (unsigned long)c.rate_hz);
    } else if (c.kind == ASHI_CMD_INVALID) {
        printf("INVALID %s\n", c.error);
    } else {
        printf("%s\n", kinds[c.kind]);
    }
}

static void answer_error_json(const char *hex)
{
    char message[1024];
    char json[8192];
    size_t n = 0;
    unsigned byte;
    while (n + 1 < sizeof message && sscanf(hex + 2 * n, "%2x", &byte) == 1) {
        message[n++] = (char)byte;
    }
    message[n] = '\0';
    n = ashi_event_error_json(json, sizeof json, message);
    print_hex(NULL, (const uint8_t *)json, n);
}

static void answer_unpack(const char *args)
{
    long long v[2 + HX711_BITS];
    uint32_t snapshots[HX711_BITS];
    int32_t counts[HX711_MAX_LANES];
    unsigned i;
    read_ints(args, v, sizeof v / sizeof v[0]);
    for (i = 0; i < HX711_BITS; i++) {
        snapshots[i] = (uint32_t)v[2 + i];
    }
    hx711_unpack(snapshots, (unsigned)v[0], (unsigned)v[1], counts);
    for (i = 0; i < (unsigned)v[1]; i++) {
        printf(i ? " %ld" : "%ld", (long)counts[i]);
    }
    putchar('\n');
}

static void answer_health(hx711_health *h, char kind, const char *args)
{
    long long v[1 + HX711_MAX_LANES];
    int32_t counts[HX711_MAX_LANES];
    uint32_t entered;
    uint32_t invalid;
    unsigned i;
    read_ints(args, v, sizeof v / sizeof v[0]);
    if (kind == 'H') {
        hx711_health_init(h, (unsigned)v[0], (uint16_t)v[1], (uint16_t)v[2]);
        printf("ok\n");
        return;
    }
    for (i = 0; i < h->n_lanes; i++) {
        counts[i] = (int32_t)v[1 + i];
    }
    invalid = hx711_health_update(h, (uint32_t)v[0], counts, &entered);
    printf("%lu %lu\n", (unsigned long)invalid, (unsigned long)entered);
}

static void answer_handset(handset *h, char kind, const char *args)
{
    long long v[3];
    handset_changes c;
    read_ints(args, v, sizeof v / sizeof v[0]);
    if (kind == 'K') {
        handset_init(h, (unsigned)v[0], (uint16_t)v[1], (uint32_t)v[2]);
        printf("ok\n");
        return;
    }
    c = handset_update(h, (uint32_t)v[0]);
    printf("%lu %lu %lu\n", (unsigned long)c.pressed, (unsigned long)c.stuck,
           (unsigned long)c.unstuck);
}

static void answer_client_event(const char *args)
{
    long long v[2];
    char json[64];
    size_t n = 0;
    read_ints(args, v, sizeof v / sizeof v[0]);
    if (v[1] >= 0 && v[1] < RIG_HANDSET_N_BUTTONS) {
        n = ashi_event_client_json(json, sizeof json, RIG_HANDSET_BUTTONS[v[1]]);
    }
    print_event(NULL, (uint32_t)v[0], json, n);
}

static int answer_lines(void)
{
    static char line[65536];
    hx711_health health;
    handset buttons;
    hx711_health_init(&health, 0, 1, 1);
    handset_init(&buttons, 0, 1, 0);
    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\n') {
            line[--len] = '\0';
        }
        switch (line[0]) {
        case 'S': answer_sample(line + 1); break;
        case 'C': answer_command(line + (len > 1 ? 2 : 1)); break;
        case 'E': answer_error_json(line + 2); break;
        case 'U': answer_unpack(line + 1); break;
        case 'H':
        case 'h': answer_health(&health, line[0], line + 1); break;
        case 'K':
        case 'k': answer_handset(&buttons, line[0], line + 1); break;
        case 'B': answer_client_event(line + 1); break;
        default: fprintf(stderr, "unknown request line: %s\n", line); return 2;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--lines") == 0) {
        return answer_lines();
    }
    vector_samples();
    vector_hello_and_events();
    vector_handset_events();
    vector_grids();
    vector_cobs();
    vector_limits();
    return 0;
}

#endif /* ARDUINO */
