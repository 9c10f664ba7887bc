// Stand-in for pico-sdk hardware/timer.h (type-checking only).
#pragma once
#include <stdint.h>
uint32_t time_us_32(void);
