"""PySide6 views over bench's controller (issue 7)."""
