"""Finding the GPUs of this machine that the local target may hand out to runs."""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess

__all__ = ["detect_gpus"]

logger = logging.getLogger(__name__)

_GPU_LINE = re.compile(r"^GPU (\d+):", re.MULTILINE)


@functools.lru_cache(maxsize=1)
def detect_gpus() -> tuple[str, ...]:
    """Return the ids of the GPUs that runs may use, as ``CUDA_VISIBLE_DEVICES`` entries.

    When ``CUDA_VISIBLE_DEVICES`` is set, its entries are the GPUs (an empty value means none),
    so a controller started with ``CUDA_VISIBLE_DEVICES=1,2`` hands out only those two.
    Otherwise the GPUs are the indices that ``nvidia-smi -L`` lists; without nvidia-smi, or
    when it fails, there are none. The result is cached for the life of the process.
    """
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return tuple(entry.strip() for entry in visible.split(",") if entry.strip())

    program = shutil.which("nvidia-smi")
    if program is None:
        return ()

    try:
        listing = subprocess.run([program, "-L"], capture_output=True, text=True, timeout=10,
                                 check=True)
    except (OSError, subprocess.SubprocessError) as error:
        logger.warning("nvidia-smi -L failed (%s); assuming this machine has no GPU", error)
        return ()

    return tuple(_GPU_LINE.findall(listing.stdout))
