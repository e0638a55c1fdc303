"""The bureaus' statistics forms, one TOML file each (read by :mod:`bench.oversight.form`)."""
