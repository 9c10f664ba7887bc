// Stand-in for pico-sdk hardware/gpio.h and pico/platform.h (declarations only, never linked).
#pragma once
#include <stdbool.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {  // a C header, as in the pico-sdk
#endif
#define GPIO_OUT 1
#define GPIO_IN 0
void gpio_init(unsigned gpio);
void gpio_set_dir(unsigned gpio, bool out);
void gpio_put(unsigned gpio, bool value);
void gpio_pull_up(unsigned gpio);
uint32_t gpio_get_all(void);
void busy_wait_at_least_cycles(uint32_t minimum_cycles);
#ifdef __cplusplus
}
#endif
