"""Multi-position test benches (many meters under test on one source and one standard).

:class:`~drivers.benches.modbus_bench.ModbusBench` drives a bench controller over Modbus from its
register map (``drivers/meters/maps/jianding_sim_bench.toml``), playing the roles ``PowerSource``,
``EnergyStandard`` and ``MultiPositionCounter`` of :mod:`drivers.roles`.
"""
