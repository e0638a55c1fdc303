"""Performance figures, run by command (never timed assertions in tests)."""
