"""The sweep controller and the process that runs it."""

from hypersweep.controller.process import controller_alive, spawn_controller
from hypersweep.controller.submission import record_sweep
from hypersweep.controller.sweep import SweepController, SweepProgress

__all__ = ["SweepController", "SweepProgress", "controller_alive", "record_sweep",
           "spawn_controller"]
