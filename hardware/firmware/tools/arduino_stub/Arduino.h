// Type-checking stand-in for the arduino-pico core (used only by check_portability.sh):
// declarations of exactly what the sketch uses, with the core's signatures. Never linked.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <algorithm>
using std::max;
using std::min;

#define HIGH 1
#define LOW 0
#define OUTPUT 1
void pinMode(uint8_t pin, int mode);
void digitalWrite(uint8_t pin, int value);

class SerialUSB {
 public:
  void begin(unsigned long baud);
  int available();
  int read();
  int availableForWrite();
  size_t write(const uint8_t *buf, size_t length);
  operator bool();
};
extern SerialUSB Serial;
