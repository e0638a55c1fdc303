"""Fuel dispensers: the JD-DSP/1 codec (shared with the twin) and the serial driver."""
