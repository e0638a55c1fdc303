"""Where the real GB/T 27930-2015 session log lives: in ``shared/reference`` beside the checkout
(test data only — its repository has no licence, so it is never copied into this tree)."""

from pathlib import Path

import pytest

_LOG = Path("reference") / "data" / "gbt27930" / "candump-2023-12-25_220841.log"
_ROOT = Path(__file__).resolve().parents[3]
SESSION_LOG = next((p for p in (_ROOT.parent / "shared" / _LOG, Path("/work/shared") / _LOG) if p.is_file()),
                   _ROOT.parent / "shared" / _LOG)
needs_log = pytest.mark.skipif(not SESSION_LOG.is_file(), reason=f"real session log not found at {SESSION_LOG}")
