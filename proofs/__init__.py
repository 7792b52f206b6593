"""Regenerated symbolic derivations: ``python -m proofs`` / ``gstheory derive``."""
