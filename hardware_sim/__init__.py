"""Wire-level twins of every device: they speak the real protocol over a real transport."""
