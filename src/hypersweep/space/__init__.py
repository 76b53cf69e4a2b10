"""Search spaces and the parameter expressions they are made of.

>>> from hypersweep.space import SearchSpace, choice, loguniform
>>> space = SearchSpace({"batch_size": choice(16, 32, 64), "learning_rate": loguniform(-6, -1)})
>>> space.to_dict()["batch_size"]
['choice', [[16, 32, 64]]]
"""

from hypersweep.space._parse import EXPRESSION_TYPES, parse_expression
from hypersweep.space._search_space import SearchSpace
from hypersweep.space.expressions import (
    ParameterExpression,
    Scalar,
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

__all__ = [
    "EXPRESSION_TYPES",
    "ParameterExpression",
    "Scalar",
    "SearchSpace",
    "choice",
    "lognormal",
    "loguniform",
    "normal",
    "parse_expression",
    "qlognormal",
    "qloguniform",
    "qnormal",
    "quniform",
    "randint",
    "uniform",
]
