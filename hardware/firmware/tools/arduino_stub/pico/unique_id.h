// Stand-in for pico-sdk pico/unique_id.h (type-checking only).
#pragma once
#define PICO_UNIQUE_BOARD_ID_SIZE_BYTES 8
void pico_get_unique_board_id_string(char *id_out, unsigned len);
