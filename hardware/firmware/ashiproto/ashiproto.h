/*
 * ashiproto: the device side of the AshiSense wire protocol, version 1 (hardware/PROTOCOL.md).
 *
 * Portable C99 for any microcontroller: no heap, no stdio, nothing from libc but
 * memcpy/strlen. Integers are serialised byte by byte, so the wire bytes are the same
 * on little- and big-endian CPUs. Every builder writes one complete wire frame (the
 * COBS-encoded packet with its CRC-32, then the 0x00 delimiter) into a caller buffer
 * and returns its length, or 0 when it does not fit (nothing partial is ever sent:
 * a 0 return means "send nothing").
 *
 * The host's reference encoder is firmware_bridge/protocol.py; tests/test_c_packet_code.py
 * checks this code against it byte for byte.
 */
#ifndef ASHIPROTO_H
#define ASHIPROTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ASHI_PROTOCOL_VERSION 1

enum ashi_packet_type {
    ASHI_TYPE_SAMPLE = 0x01,
    ASHI_TYPE_HELLO = 0x02,
    ASHI_TYPE_EVENT = 0x03,
    ASHI_TYPE_GRID = 0x04
};

/* Largest packet (type byte to CRC, before COBS) a receiver accepts. */
#define ASHI_MAX_PACKET_BYTES 16384u
#define ASHI_MAX_CHANNELS 32u
/* Packet size of a SAMPLE with n channels: type, seq, t_us, invalid, counts, crc. */
#define ASHI_SAMPLE_PACKET_BYTES(n_channels) (15u + 4u * (n_channels))
/* Upper bound of the wire bytes of a packet of n bytes: COBS overhead plus the delimiter. */
#define ASHI_FRAME_BYTES(packet_bytes) ((packet_bytes) + (packet_bytes) / 254u + 2u)

/* CRC-32 (IEEE 802.3, reflected, as Python's zlib.crc32). Start with crc = 0; pass the
 * previous result to continue over more data, as zlib.crc32(data, crc) does. */
uint32_t ashi_crc32(uint32_t crc, const uint8_t *data, size_t len);

/* COBS-encode len bytes of src into dst (no delimiter appended).
 * Returns the encoded length, or 0 if it exceeds dst_cap. */
size_t ashi_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t dst_cap);

/* SAMPLE: seq (wraps at 2^16), device time t_us, invalid bitmask (bit i = channel i has
 * no valid value), raw counts of n_channels (0..32) channels. */
size_t ashi_build_sample(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us,
                         uint32_t invalid, const int32_t *counts, size_t n_channels);

/* HELLO carrying json (a NUL-terminated UTF-8 JSON object, see ashi_hello_json). */
size_t ashi_build_hello(uint8_t *out, size_t cap, const char *json);

/* EVENT at device time t_us carrying json (a NUL-terminated JSON object, see ashi_event_*_json). */
size_t ashi_build_event(uint8_t *out, size_t cap, uint32_t t_us, const char *json);

/* GRID frame: rows x cols raw u16 taxels, row-major, row 0 at the table's head end. */
size_t ashi_build_grid(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us, uint8_t rows,
                       uint8_t cols, const uint16_t *taxels);

/*
 * JSON bodies. Each writes a NUL-terminated compact JSON object into out and returns its
 * length without the NUL, or 0 if it does not fit in cap bytes. The text is byte for byte
 * what Python's json.dumps(obj, separators=(",", ":")) gives for the same object, keys in
 * the order documented (strings are escaped as json.dumps does with ensure_ascii, each byte
 * >= 0x80 taken as one Latin-1 character).
 */

/* Who the device is: HELLO keys "protocol", "device", "serial", "firmware", "rate_hz", "channels". */
typedef struct {
    const char *device;
    const char *serial;
    const char *firmware;
    uint32_t rate_hz;
    const char *const *channels;
    size_t n_channels;
} ashi_hello;

size_t ashi_hello_json(char *out, size_t cap, const ashi_hello *hello);
/* {"event":"boot"} */
size_t ashi_event_boot_json(char *out, size_t cap);
/* {"event":"overflow","dropped":N}: the device's own buffer dropped N samples. */
size_t ashi_event_overflow_json(char *out, size_t cap, uint32_t dropped);
/* {"event":"adc_fault","channel":i} */
size_t ashi_event_adc_fault_json(char *out, size_t cap, uint32_t channel);
/* {"event":"rate","rate_hz":F}: answer to RATE. */
size_t ashi_event_rate_json(char *out, size_t cap, uint32_t rate_hz);
/* {"event":"error","message":"..."} */
size_t ashi_event_error_json(char *out, size_t cap, const char *message);
/* {"event":"client","button":"..."}: the client pressed a handset button ("lighter",
 * "deeper", "stop" or "ok"). */
size_t ashi_event_client_json(char *out, size_t cap, const char *button);
/* {"event":"handset_stuck","button":"..."}: the button has been held down too long. */
size_t ashi_event_handset_stuck_json(char *out, size_t cap, const char *button);
/* {"event":"handset_unstuck","button":"..."}: the stuck button was released. */
size_t ashi_event_handset_unstuck_json(char *out, size_t cap, const char *button);

/* Host commands (one ASCII line each). */
typedef enum {
    ASHI_CMD_NONE = 0, /* blank line: ignore it */
    ASHI_CMD_HELLO,    /* HELLO?     -> answer with HELLO */
    ASHI_CMD_START,    /* START      -> stream SAMPLEs */
    ASHI_CMD_STOP,     /* STOP       -> stop streaming */
    ASHI_CMD_RATE,     /* RATE <hz>  -> rate_hz holds the request; the device says if it can */
    ASHI_CMD_INVALID   /* anything else -> answer EVENT error with `error` */
} ashi_cmd_kind;

typedef struct {
    ashi_cmd_kind kind;
    uint32_t rate_hz;  /* ASHI_CMD_RATE only: a positive integer */
    const char *error; /* ASHI_CMD_INVALID only: what was expected (static text) */
} ashi_command;

/* Parse one command line (len bytes, line terminator optional). Pure: no state, no I/O.
 * Keywords are upper case; spaces, tabs, CR and LF around the line are ignored. */
ashi_command ashi_parse_command(const char *line, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* ASHIPROTO_H */
