"""The names of Azure ML's ``azureml.train.hyperdrive`` package, for code written for it.

Replace ``from azureml.train.hyperdrive import ...`` with ``from hypersweep.hyperdrive import
...`` and the rest of the code stays as it was.
"""

from hypersweep.api.hyperdrive_config import HyperDriveConfig
from hypersweep.api.runs import HyperDriveRun
from hypersweep.enums import PrimaryMetricGoal
from hypersweep.policies import (
    BanditPolicy,
    EarlyTerminationPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    TruncationSelectionPolicy,
)
from hypersweep.sampling import (
    BayesianParameterSampling,
    GridParameterSampling,
    ParameterSampling,
    RandomParameterSampling,
)
from hypersweep.space import (
    choice,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    uniform,
)

# Azure's base class of the sampling classes.
HyperParameterSampling = ParameterSampling
# Azure's older name of HyperDriveConfig.
HyperDriveRunConfig = HyperDriveConfig

__all__ = [
    "BanditPolicy",
    "BayesianParameterSampling",
    "EarlyTerminationPolicy",
    "GridParameterSampling",
    "HyperDriveConfig",
    "HyperDriveRun",
    "HyperDriveRunConfig",
    "HyperParameterSampling",
    "MedianStoppingPolicy",
    "NoTerminationPolicy",
    "PrimaryMetricGoal",
    "RandomParameterSampling",
    "TruncationSelectionPolicy",
    "choice",
    "loguniform",
    "lognormal",
    "normal",
    "qloguniform",
    "qlognormal",
    "qnormal",
    "quniform",
    "randint",
    "uniform",
]
