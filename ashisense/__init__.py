"""AshiSense: measure and safeguard Ashiatsu from load cells in the bars and under the mat."""

import serial

__version__ = "0.1.0"

# Lets serial.serial_for_url open "sim://..." (the simulated rig) wherever a port is asked for.
if "ashisense.sim.urlhandler" not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append("ashisense.sim.urlhandler")
