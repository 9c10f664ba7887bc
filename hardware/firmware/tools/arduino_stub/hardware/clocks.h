// Stand-in for pico-sdk hardware/clocks.h (declarations only, never linked).
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {  // a C header, as in the pico-sdk
#endif
enum clock_index { clk_sys = 5 };
uint32_t clock_get_hz(enum clock_index clk_index);
#ifdef __cplusplus
}
#endif
