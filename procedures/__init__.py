"""Metrology core, procedure engine and one module per regulation. Reaches devices only through roles."""
