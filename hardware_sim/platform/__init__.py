"""Reference platform server implementing ``sync/API.md`` (API v1): FastAPI + uvicorn + sqlmodel.

A stand-in for the provincial management platform (e-CQS style), whose real interface is not
public: per-institution API tokens, idempotency keys, exactly-once results (a database unique
constraint), bookings in arrival order (先约先检), certificate status and a public lookup page, and
fault injection for the workstation's tests. SQLite by default, PostgreSQL by URL. Imports only
``sync.schemas`` from our packages.

``python -m hardware_sim platform [--db URL] [--host H] [--port P] [--admin-token T]`` starts it.
"""

from hardware_sim.platform.app import create_app
from hardware_sim.platform.server import PlatformServer

__all__ = ["PlatformServer", "create_app"]
