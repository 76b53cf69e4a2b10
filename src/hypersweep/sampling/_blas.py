"""One BLAS thread for the small matrices of the Bayesian sampler, where threadpoolctl exists.

The sampler's matrices have at most a few hundred rows. On them, a multi-threaded BLAS such as
OpenBLAS gains little on an idle machine and loses badly on a busy one, where its threads wait
for cores that the sweep's own runs occupy: a 40 x 40 triangular solve took 5 ms with two
threads and 0.04 ms with one on a loaded 2-core machine (OpenBLAS 0.3.31, NumPy 2.4).

NOTE: NumPy and SciPy offer no way to set the BLAS thread count at run time, so the limit is
applied only when threadpoolctl (a dependency of scikit-learn) is installed. Without it, set
OPENBLAS_NUM_THREADS=1 (or OMP_NUM_THREADS=1) in the sweep's environment for the same effect.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Iterator
from typing import Any

__all__ = ["single_blas_thread"]


@functools.lru_cache(maxsize=1)
def _controller() -> Any:
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        return None
    return threadpoolctl.ThreadpoolController()


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit BLAS libraries to one thread inside the block, when threadpoolctl is installed."""
    controller = _controller()
    if controller is None:
        yield
        return

    with controller.limit(limits=1, user_api="blas"):
        yield
