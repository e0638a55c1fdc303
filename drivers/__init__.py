"""Hardware drivers: wire protocols, codecs and device drivers. Imports third-party libraries only."""
