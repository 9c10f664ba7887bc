// Stand-in for pico-sdk hardware/sync.h (type-checking only).
#pragma once
#include <stdint.h>
uint32_t save_and_disable_interrupts(void);
void restore_interrupts(uint32_t status);
