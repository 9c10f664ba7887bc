// Stand-in for pico-sdk hardware/sync.h (declarations only, never linked).
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {  // a C header, as in the pico-sdk
#endif
uint32_t save_and_disable_interrupts(void);
void restore_interrupts(uint32_t status);
#ifdef __cplusplus
}
#endif
