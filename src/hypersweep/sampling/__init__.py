"""Sampling algorithms: how a sweep chooses the configurations of its child runs.

>>> from hypersweep.sampling import GridParameterSampling
>>> from hypersweep.space import choice
>>> GridParameterSampling({"a": choice(1, 2), "b": choice("x", "y")}).preview(3)
[{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}]
"""

from hypersweep.sampling.base import ParameterSampling, Sampler, sampling_from_dict
from hypersweep.sampling.bayesian import BayesianParameterSampling
from hypersweep.sampling.grid import GridParameterSampling
from hypersweep.sampling.random import RandomParameterSampling

__all__ = [
    "BayesianParameterSampling",
    "GridParameterSampling",
    "ParameterSampling",
    "RandomParameterSampling",
    "Sampler",
    "sampling_from_dict",
]
