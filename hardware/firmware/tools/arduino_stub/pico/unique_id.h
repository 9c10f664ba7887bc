// Stand-in for pico-sdk pico/unique_id.h (declarations only, never linked).
#pragma once
#ifdef __cplusplus
extern "C" {  // a C header, as in the pico-sdk
#endif
#define PICO_UNIQUE_BOARD_ID_SIZE_BYTES 8
void pico_get_unique_board_id_string(char *id_out, unsigned len);
#ifdef __cplusplus
}
#endif
