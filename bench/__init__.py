"""The workstation itself: station file, store, controller and the ``jianding`` command (composition root)."""

__version__ = "0.1.0"
