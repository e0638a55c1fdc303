"""Certificates, notices and tables rendered from frozen verification records."""
