"""Certificates, notices, original records and tables rendered from frozen verification records.

``certificate`` (检定证书 / 检定结果通知书), ``original_record`` (原始记录), ``layout`` and ``typography``
(shared page machinery and the embedded CJK font), ``samples`` and ``golden`` (fixed records and
golden-page checks: ``python -m reports.golden --update``), ``png`` (dependency-free PNG/PGM codec),
``assets`` (demo logo and signatures). What goes on each page: docs/certificates.md.
"""
