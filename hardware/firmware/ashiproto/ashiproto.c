/* ashiproto: protocol v1 packets, device side. See ashiproto.h. */
#include "ashiproto.h"

#include <string.h>

/* ---- CRC-32 ------------------------------------------------------------------------- */

/* Reflected polynomial 0xEDB88320, four bits at a time: a 64-byte table instead of 1 KiB,
 * cheap enough for a 50-byte SAMPLE at 1 kHz on a Cortex-M0+. */
static const uint32_t crc_nibble_table[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

static uint32_t crc_step(uint32_t state, uint8_t byte)
{
    state ^= byte;
    state = (state >> 4) ^ crc_nibble_table[state & 0x0Fu];
    return (state >> 4) ^ crc_nibble_table[state & 0x0Fu];
}

uint32_t ashi_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
    uint32_t state = ~crc;
    size_t i;
    for (i = 0; i < len; i++) {
        state = crc_step(state, data[i]);
    }
    return ~state;
}

/* ---- Streaming COBS frame writer ---------------------------------------------------- */

/* Encodes byte by byte straight into the output buffer, so a packet is never staged in
 * a second buffer. Lengths keep counting past `cap` so that the caller learns "does not
 * fit" at the end; nothing is written out of bounds. */
typedef struct {
    uint8_t *out;
    size_t cap;
    size_t len;     /* bytes produced so far, including reserved code bytes */
    size_t code_at; /* where the current block's code byte goes */
    uint8_t code;   /* 1 + number of data bytes in the current block */
    uint32_t crc;   /* running CRC state (inverted form) over the packet bytes */
} frame_writer;

static void fw_store(frame_writer *w, size_t at, uint8_t byte)
{
    if (at < w->cap) {
        w->out[at] = byte;
    }
}

static void fw_open_block(frame_writer *w)
{
    w->code_at = w->len++;
    w->code = 1;
}

static void fw_close_block(frame_writer *w)
{
    fw_store(w, w->code_at, w->code);
}

static void fw_begin(frame_writer *w, uint8_t *out, size_t cap)
{
    w->out = out;
    w->cap = cap;
    w->len = 0;
    w->crc = 0xFFFFFFFFu;
    fw_open_block(w);
}

/* A full block (254 data bytes) is closed only when another byte follows: a packet that
 * ends exactly on a full block gets no empty trailing block, as in the reference COBS. */
static void fw_cobs(frame_writer *w, uint8_t byte)
{
    if (w->code == 0xFFu) {
        fw_close_block(w);
        fw_open_block(w);
    }
    if (byte == 0) {
        fw_close_block(w);
        fw_open_block(w);
    } else {
        fw_store(w, w->len++, byte);
        w->code++;
    }
}

static void fw_u8(frame_writer *w, uint8_t byte)
{
    w->crc = crc_step(w->crc, byte);
    fw_cobs(w, byte);
}

static void fw_u16(frame_writer *w, uint16_t v)
{
    fw_u8(w, (uint8_t)(v & 0xFFu));
    fw_u8(w, (uint8_t)(v >> 8));
}

static void fw_u32(frame_writer *w, uint32_t v)
{
    fw_u8(w, (uint8_t)(v & 0xFFu));
    fw_u8(w, (uint8_t)((v >> 8) & 0xFFu));
    fw_u8(w, (uint8_t)((v >> 16) & 0xFFu));
    fw_u8(w, (uint8_t)(v >> 24));
}

static void fw_bytes(frame_writer *w, const uint8_t *data, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        fw_u8(w, data[i]);
    }
}

/* Append the CRC (not itself part of the CRC), close the last block, add the delimiter. */
static size_t fw_finish_frame(frame_writer *w)
{
    uint32_t crc = ~w->crc;
    int shift;
    for (shift = 0; shift < 32; shift += 8) {
        fw_cobs(w, (uint8_t)((crc >> shift) & 0xFFu));
    }
    fw_close_block(w);
    fw_store(w, w->len++, 0x00u);
    return w->len <= w->cap ? w->len : 0;
}

size_t ashi_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t dst_cap)
{
    frame_writer w;
    size_t i;
    fw_begin(&w, dst, dst_cap);
    for (i = 0; i < len; i++) {
        fw_cobs(&w, src[i]);
    }
    fw_close_block(&w);
    return w.len <= w.cap ? w.len : 0;
}

/* ---- Packet builders ---------------------------------------------------------------- */

size_t ashi_build_sample(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us,
                         uint32_t invalid, const int32_t *counts, size_t n_channels)
{
    frame_writer w;
    size_t i;
    if (n_channels > ASHI_MAX_CHANNELS) {
        return 0;
    }
    fw_begin(&w, out, cap);
    fw_u8(&w, ASHI_TYPE_SAMPLE);
    fw_u16(&w, seq);
    fw_u32(&w, t_us);
    fw_u32(&w, invalid);
    for (i = 0; i < n_channels; i++) {
        /* int32 -> uint32 is defined (modulo 2^32): two's complement bytes on any CPU. */
        fw_u32(&w, (uint32_t)counts[i]);
    }
    return fw_finish_frame(&w);
}

static size_t build_json_packet(uint8_t *out, size_t cap, uint8_t type, const uint32_t *t_us,
                                const char *json)
{
    frame_writer w;
    size_t header = (t_us != NULL) ? 5u : 1u;
    size_t body_len = strlen(json);
    if (body_len > ASHI_MAX_PACKET_BYTES - header - 4u) {
        return 0;
    }
    fw_begin(&w, out, cap);
    fw_u8(&w, type);
    if (t_us != NULL) {
        fw_u32(&w, *t_us);
    }
    fw_bytes(&w, (const uint8_t *)json, body_len);
    return fw_finish_frame(&w);
}

size_t ashi_build_hello(uint8_t *out, size_t cap, const char *json)
{
    return build_json_packet(out, cap, ASHI_TYPE_HELLO, NULL, json);
}

size_t ashi_build_event(uint8_t *out, size_t cap, uint32_t t_us, const char *json)
{
    return build_json_packet(out, cap, ASHI_TYPE_EVENT, &t_us, json);
}

size_t ashi_build_grid(uint8_t *out, size_t cap, uint16_t seq, uint32_t t_us, uint8_t rows,
                       uint8_t cols, const uint16_t *taxels)
{
    frame_writer w;
    size_t n = (size_t)rows * cols;
    size_t i;
    if (9u + 2u * n + 4u > ASHI_MAX_PACKET_BYTES) {
        return 0;
    }
    fw_begin(&w, out, cap);
    fw_u8(&w, ASHI_TYPE_GRID);
    fw_u16(&w, seq);
    fw_u32(&w, t_us);
    fw_u8(&w, rows);
    fw_u8(&w, cols);
    for (i = 0; i < n; i++) {
        fw_u16(&w, taxels[i]);
    }
    return fw_finish_frame(&w);
}

/* ---- JSON bodies -------------------------------------------------------------------- */

/* Appends to a fixed buffer; `len` keeps counting past the end so overflow is seen once,
 * at the end. One byte of `cap` is kept for the terminating NUL. */
typedef struct {
    char *out;
    size_t cap;
    size_t len;
    int members; /* members written so far in the current object */
} json_writer;

static void jw_char(json_writer *j, char c)
{
    if (j->len + 1u < j->cap) {
        j->out[j->len] = c;
    }
    j->len++;
}

static void jw_raw(json_writer *j, const char *text)
{
    while (*text != '\0') {
        jw_char(j, *text++);
    }
}

static void jw_uint(json_writer *j, uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (v % 10u));
        v /= 10u;
    } while (v != 0u);
    while (n > 0) {
        jw_char(j, digits[--n]);
    }
}

/* Same escapes as Python's json.dumps (ensure_ascii=True); lower-case \u00xx hex. */
static void jw_string(json_writer *j, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    jw_char(j, '"');
    for (; *p != '\0'; p++) {
        unsigned char c = *p;
        switch (c) {
        case '"': jw_raw(j, "\\\""); break;
        case '\\': jw_raw(j, "\\\\"); break;
        case '\n': jw_raw(j, "\\n"); break;
        case '\r': jw_raw(j, "\\r"); break;
        case '\t': jw_raw(j, "\\t"); break;
        case '\b': jw_raw(j, "\\b"); break;
        case '\f': jw_raw(j, "\\f"); break;
        default:
            if (c < 0x20u || c >= 0x7Fu) {
                jw_raw(j, "\\u00");
                jw_char(j, hex[c >> 4]);
                jw_char(j, hex[c & 0x0Fu]);
            } else {
                jw_char(j, (char)c);
            }
        }
    }
    jw_char(j, '"');
}

static void jw_begin(json_writer *j, char *out, size_t cap)
{
    j->out = out;
    j->cap = cap;
    j->len = 0;
    j->members = 0;
    jw_char(j, '{');
}

static void jw_key(json_writer *j, const char *key)
{
    if (j->members++ > 0) {
        jw_char(j, ',');
    }
    jw_string(j, key);
    jw_char(j, ':');
}

static size_t jw_end(json_writer *j)
{
    jw_char(j, '}');
    if (j->len + 1u > j->cap) {
        return 0;
    }
    j->out[j->len] = '\0';
    return j->len;
}

static size_t event_json(char *out, size_t cap, const char *event, const char *key,
                         uint32_t value)
{
    json_writer j;
    jw_begin(&j, out, cap);
    jw_key(&j, "event");
    jw_string(&j, event);
    if (key != NULL) {
        jw_key(&j, key);
        jw_uint(&j, value);
    }
    return jw_end(&j);
}

size_t ashi_hello_json(char *out, size_t cap, const ashi_hello *hello)
{
    json_writer j;
    size_t i;
    jw_begin(&j, out, cap);
    jw_key(&j, "protocol");
    jw_uint(&j, ASHI_PROTOCOL_VERSION);
    jw_key(&j, "device");
    jw_string(&j, hello->device);
    jw_key(&j, "serial");
    jw_string(&j, hello->serial);
    jw_key(&j, "firmware");
    jw_string(&j, hello->firmware);
    jw_key(&j, "rate_hz");
    jw_uint(&j, hello->rate_hz);
    jw_key(&j, "channels");
    jw_char(&j, '[');
    for (i = 0; i < hello->n_channels; i++) {
        if (i > 0) {
            jw_char(&j, ',');
        }
        jw_string(&j, hello->channels[i]);
    }
    jw_char(&j, ']');
    return jw_end(&j);
}

size_t ashi_event_boot_json(char *out, size_t cap)
{
    return event_json(out, cap, "boot", NULL, 0);
}

size_t ashi_event_overflow_json(char *out, size_t cap, uint32_t dropped)
{
    return event_json(out, cap, "overflow", "dropped", dropped);
}

size_t ashi_event_adc_fault_json(char *out, size_t cap, uint32_t channel)
{
    return event_json(out, cap, "adc_fault", "channel", channel);
}

size_t ashi_event_rate_json(char *out, size_t cap, uint32_t rate_hz)
{
    return event_json(out, cap, "rate", "rate_hz", rate_hz);
}

/* {"event":event,key:"text"} */
static size_t event_text_json(char *out, size_t cap, const char *event, const char *key,
                              const char *text)
{
    json_writer j;
    jw_begin(&j, out, cap);
    jw_key(&j, "event");
    jw_string(&j, event);
    jw_key(&j, key);
    jw_string(&j, text);
    return jw_end(&j);
}

size_t ashi_event_error_json(char *out, size_t cap, const char *message)
{
    return event_text_json(out, cap, "error", "message", message);
}

size_t ashi_event_client_json(char *out, size_t cap, const char *button)
{
    return event_text_json(out, cap, "client", "button", button);
}

size_t ashi_event_handset_stuck_json(char *out, size_t cap, const char *button)
{
    return event_text_json(out, cap, "handset_stuck", "button", button);
}

size_t ashi_event_handset_unstuck_json(char *out, size_t cap, const char *button)
{
    return event_text_json(out, cap, "handset_unstuck", "button", button);
}

/* ---- Host commands ------------------------------------------------------------------ */

static const char ERR_UNKNOWN[] = "unknown command, expected HELLO?, START, STOP or RATE <hz>";
static const char ERR_RATE[] = "RATE expects one positive integer in Hz, e.g. RATE 80";

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int word_is(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len == n && memcmp(s, word, n) == 0;
}

static ashi_command command(ashi_cmd_kind kind, uint32_t rate_hz, const char *error)
{
    ashi_command c;
    c.kind = kind;
    c.rate_hz = rate_hz;
    c.error = error;
    return c;
}

/* Digits only, no sign, no overflow, not zero. */
static ashi_command parse_rate(const char *s, size_t len)
{
    uint32_t v = 0;
    size_t i;
    if (len == 0) {
        return command(ASHI_CMD_INVALID, 0, ERR_RATE);
    }
    for (i = 0; i < len; i++) {
        uint32_t d = (uint32_t)(s[i] - '0');
        if (s[i] < '0' || s[i] > '9' || v > (UINT32_MAX - d) / 10u) {
            return command(ASHI_CMD_INVALID, 0, ERR_RATE);
        }
        v = v * 10u + d;
    }
    if (v == 0) {
        return command(ASHI_CMD_INVALID, 0, ERR_RATE);
    }
    return command(ASHI_CMD_RATE, v, NULL);
}

ashi_command ashi_parse_command(const char *line, size_t len)
{
    size_t start = 0;
    size_t end = len;
    size_t word_end;
    size_t arg;
    while (start < end && is_blank(line[start])) {
        start++;
    }
    while (end > start && is_blank(line[end - 1])) {
        end--;
    }
    if (start == end) {
        return command(ASHI_CMD_NONE, 0, NULL);
    }
    word_end = start;
    while (word_end < end && !is_blank(line[word_end])) {
        word_end++;
    }
    if (word_is(line + start, word_end - start, "RATE")) {
        arg = word_end;
        while (arg < end && is_blank(line[arg])) {
            arg++;
        }
        return parse_rate(line + arg, end - arg);
    }
    if (word_end != end) {
        return command(ASHI_CMD_INVALID, 0, ERR_UNKNOWN);
    }
    if (word_is(line + start, end - start, "HELLO?")) {
        return command(ASHI_CMD_HELLO, 0, NULL);
    }
    if (word_is(line + start, end - start, "START")) {
        return command(ASHI_CMD_START, 0, NULL);
    }
    if (word_is(line + start, end - start, "STOP")) {
        return command(ASHI_CMD_STOP, 0, NULL);
    }
    return command(ASHI_CMD_INVALID, 0, ERR_UNKNOWN);
}
