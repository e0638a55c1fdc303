"""Upload of results to the provincial management platform, and bookings down from it (issue 6).

* ``sync.schemas`` — the platform API v1 as pydantic models (documented in ``sync/API.md``); the
  reference server (``hardware_sim.platform``) imports only this module of the package.
* ``sync.client`` — the HTTP client over httpx, with typed errors (``sync.errors``).
* ``sync.outbox`` — offline-first delivery: a row committed with the certificate, sent idempotently
  with backoff, marked done only on the platform's acknowledgement.

``sync`` imports only ``procedures`` (records, types) and third-party libraries — never ``bench``,
``drivers``, ``hardware_sim`` or ``reports``; ``bench`` wires it to the store and the CLI.
"""
