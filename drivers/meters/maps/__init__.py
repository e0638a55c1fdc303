"""Modbus register maps shipped with Jianding, one TOML data file per meter model.

The files are data, not code: :mod:`drivers.meters.register_map` loads and validates them, and
documents their format. Add a meter model by adding a ``<maker>_<model>.toml`` file here.
"""
