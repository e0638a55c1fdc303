"""Demo images for documents: an institution logo and three signatures, drawn by ``make_assets``.

They are generated, not collected: ``python -m reports.assets.make_assets`` redraws them pixel for
pixel (numpy geometry, written by Pillow through :mod:`reports.raster`). Demo only — a real institution configures its own
logo and authorised signature images in its institution profile ([institution] logo, [people."name"] signature).
"""
