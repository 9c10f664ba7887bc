// Stand-in for pico-sdk hardware/timer.h (declarations only, never linked).
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {  // a C header, as in the pico-sdk
#endif
uint32_t time_us_32(void);
#ifdef __cplusplus
}
#endif
