"""One module per experiment; each registers itself with
:func:`gstheory.empirical.harness.register`.

The harness imports every module of this package (``pkgutil``) the first time the
registry is queried, so adding an experiment needs no edit here.
"""
