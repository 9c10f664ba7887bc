// Compile-only stand-in for the arduino-pico core (tests/test_firmware_cortex_m0.py):
// declarations of exactly what the sketch uses, with the core's signatures. Never linked.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <algorithm>
using std::max;
using std::min;

// ArduinoCore-API (api/Common.h), as arduino-pico uses it.
typedef uint8_t pin_size_t;
typedef enum { LOW = 0, HIGH = 1, CHANGE = 2, FALLING = 3, RISING = 4 } PinStatus;
typedef enum { INPUT = 0x0, OUTPUT = 0x1, INPUT_PULLUP = 0x2, INPUT_PULLDOWN = 0x3 } PinMode;
extern "C" {
void pinMode(pin_size_t pinNumber, PinMode pinMode);
void digitalWrite(pin_size_t pinNumber, PinStatus status);
}

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
