"""Weighing scales: the MT-SICS-like serial driver of the gravimetric flow standard (docs/scale-protocol.md)."""
