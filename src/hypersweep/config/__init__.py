"""YAML sweep files."""

from hypersweep.config.sweep_file import SweepFile, apply_override, load_sweep_file

__all__ = ["SweepFile", "apply_override", "load_sweep_file"]
