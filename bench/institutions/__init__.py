"""Shipped institution profiles (TOML): ``demo.toml``, the demo institution every demo station names."""
