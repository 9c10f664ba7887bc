// Stand-in for pico-sdk hardware/clocks.h (type-checking only).
#pragma once
#include <stdint.h>
enum clock_index { clk_sys = 5 };
uint32_t clock_get_hz(enum clock_index clk_index);
