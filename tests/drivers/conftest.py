"""Fixtures for driver tests: a virtual null-modem cable between a twin and a driver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hardware_sim.ref_meter import PtyLink


@pytest.fixture
async def pty_link() -> AsyncIterator[PtyLink]:
    """Two pseudo-terminals bridged in-process: the twin serves ``path_a``, the driver opens ``path_b``."""
    cable = await PtyLink().open()
    yield cable
    cable.close()
