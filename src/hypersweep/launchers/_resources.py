"""The resources that one child run reserves on its compute target: CPUs, GPUs and memory.

A run configuration gives them as a mapping with the keys ``cpu``, ``gpu`` and ``memory``
(``ScriptRunConfig(resources=...)``, YAML ``trial.resources``). ``cpu`` counts CPU cores (default
1), ``gpu`` counts GPUs (default 0), and ``memory`` is in GiB (2**30 bytes; default: nothing
reserved). Ray accepts fractions of a CPU or GPU; the local target assigns whole GPUs only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hypersweep.errors import InvalidConfigError

__all__ = ["BYTES_PER_GIB", "RESOURCE_KEYS", "RunResources", "check_resources", "local_capacity"]

RESOURCE_KEYS = ("cpu", "gpu", "memory")
BYTES_PER_GIB = 2**30


def check_resources(resources: object) -> dict[str, float] | None:
    """Validate a ``resources`` mapping and return it with float values (``None`` stays ``None``).

    Raises :class:`InvalidConfigError` naming the key and the value: keys must be ``cpu``,
    ``gpu`` or ``memory``; ``cpu`` and ``memory`` finite numbers > 0, ``gpu`` a finite number
    >= 0.
    """
    if resources is None:
        return None

    if not isinstance(resources, Mapping):
        raise InvalidConfigError(
            f"resources={resources!r} is invalid; give a mapping such as "
            "{'cpu': 2, 'gpu': 1, 'memory': 8} (memory in GiB)"
        )

    checked: dict[str, float] = {}
    for key, value in resources.items():
        if key not in RESOURCE_KEYS:
            raise InvalidConfigError(
                f"resources: key {key!r} is unknown; use {', '.join(RESOURCE_KEYS)}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise InvalidConfigError(f"resources.{key}={value!r} is invalid; give a number")
        if key == "gpu" and value < 0:
            raise InvalidConfigError(f"resources.gpu={value!r} is invalid; give a number >= 0")
        if key != "gpu" and value <= 0:
            unit = " of GiB" if key == "memory" else " of cores"
            raise InvalidConfigError(
                f"resources.{key}={value!r} is invalid; give a number{unit} > 0"
            )
        checked[key] = float(value)

    return checked


@dataclass(frozen=True)
class RunResources:
    """The CPUs, GPUs and GiB of memory that one run reserves."""

    cpu: float = 1.0
    gpu: float = 0.0
    memory_gib: float | None = None

    @classmethod
    def from_mapping(cls, resources: Mapping[str, float] | None) -> RunResources:
        """Build from a ``resources`` mapping; missing keys take their defaults."""
        checked = check_resources(resources) or {}
        return cls(cpu=checked.get("cpu", 1.0), gpu=checked.get("gpu", 0.0),
                   memory_gib=checked.get("memory"))

    @property
    def memory_bytes(self) -> int | None:
        """The memory reservation in bytes, or ``None`` when nothing is reserved."""
        if self.memory_gib is None:
            return None
        return int(self.memory_gib * BYTES_PER_GIB)

    def runs_per_node(self, *, cpus: float, gpus: float, memory_bytes: float | None) -> int:
        """Return how many runs with these resources fit at once on a node of this size."""
        # A small tolerance, so that 3 runs of 0.1 CPU fit in 0.3 CPUs despite float rounding.
        fits = math.floor(cpus / self.cpu + 1e-9)
        if self.gpu > 0:
            fits = min(fits, math.floor(gpus / self.gpu + 1e-9))
        if self.memory_bytes is not None and memory_bytes is not None:
            fits = min(fits, math.floor(memory_bytes / self.memory_bytes + 1e-9))
        return max(0, fits)

    def describe(self) -> str:
        """Return a short text such as ``"cpu=2, gpu=1, memory=8 GiB"`` for messages."""
        text = f"cpu={self.cpu:g}, gpu={self.gpu:g}"
        if self.memory_gib is not None:
            text += f", memory={self.memory_gib:g} GiB"
        return text


def local_capacity(resources: RunResources, *, cores: int, gpus: Sequence[str],
                   memory_bytes: int) -> int:
    """How many runs fit on this machine at once (at least 1), or raise when none does.

    Raises :class:`InvalidConfigError` naming the field when one run requests more GPUs or
    memory than the machine has, or a fraction of a GPU (the local target hands out whole GPUs
    through ``CUDA_VISIBLE_DEVICES``).
    """
    if resources.gpu != int(resources.gpu):
        raise InvalidConfigError(
            f"resources.gpu={resources.gpu:g} is invalid for the local target, which assigns "
            "whole GPUs; give an integer, or run on a Ray cluster (compute_target='ray'), "
            "which shares GPUs"
        )

    if resources.gpu > len(gpus):
        found = f"{len(gpus)} GPU(s): {', '.join(gpus)}" if gpus else "no GPU"
        raise InvalidConfigError(
            f"resources.gpu={resources.gpu:g} asks for more GPUs than this machine has "
            f"({found}, found with nvidia-smi -L or CUDA_VISIBLE_DEVICES); lower "
            "resources.gpu, or run on a Ray cluster with GPUs (compute_target='ray')"
        )

    if resources.memory_bytes is not None and resources.memory_bytes > memory_bytes:
        raise InvalidConfigError(
            f"resources.memory={resources.memory_gib:g} GiB is more than this machine's "
            f"{memory_bytes / BYTES_PER_GIB:.1f} GiB; lower resources.memory"
        )

    fits = resources.runs_per_node(cpus=cores, gpus=len(gpus), memory_bytes=memory_bytes)
    return max(1, fits)
