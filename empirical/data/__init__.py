"""Data sets of the experiments: synthetic constructions and offline loaders."""
