"""Regenerated symbolic derivations (``gstheory derive`` renders them into ``generated/``)."""
