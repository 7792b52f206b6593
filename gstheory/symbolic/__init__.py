"""Symbolic derivations of the paper's Sec. 3 (the only place that builds SymPy expressions)."""
