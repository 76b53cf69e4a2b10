"""Bayesian sampling: each configuration maximises expected improvement under a Gaussian process.

The first configurations form a scrambled Sobol design. After it, each proposal fits a Gaussian
process (``_gp``) to the ended runs, in the feature space of ``_encoding``. Pending runs are
taken to return the model's prediction (the "kriging believer" heuristic), which lowers the
expected improvement around them, so that concurrent proposals differ. The proposal is the point
of highest log expected improvement among random and local candidates, refined with L-BFGS-B.
``_observations`` describes how cancelled and failed runs enter the model.
"""

from __future__ import annotations

import inspect
import logging
import numbers
import warnings
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
from scipy.stats import qmc

from hypersweep.enums import PrimaryMetricGoal, RunStatus
from hypersweep.sampling._acquisition import maximize_log_ei
from hypersweep.sampling._blas import single_blas_thread
from hypersweep.sampling._encoding import SpaceEncoding
from hypersweep.sampling._gp import GaussianProcess, default_hyperparameters, fit_hyperparameters
from hypersweep.sampling._observations import ObservationTable, TrainingData, warp_targets
from hypersweep.sampling._tried_points import TriedPoints
from hypersweep.sampling.base import (
    Configuration,
    Observation,
    ParameterSampling,
    Point,
    Sampler,
    as_point,
    check_keys,
    merge_properties,
    resolve_seed,
)
from hypersweep.space import SearchSpace

__all__ = ["BayesianParameterSampling"]

logger = logging.getLogger(__name__)

# The thresholds of check_limits: runs per hyperparameter below which the model has too little
# data to improve much on random sampling, and concurrent runs above which most proposals come
# before the runs they could learn from have ended.
RUNS_PER_HYPERPARAMETER = 20
MAX_USEFUL_CONCURRENCY = 20

# The initial design has max(5, 2 * hyperparameters) points, at most this many.
_MAX_DESIGN = 20

_SOBOL_BLOCK = 64
_SOBOL_CANDIDATES = 512
_LOCAL_CENTRES = 5
_LOCAL_SCALES = (0.01, 0.05, 0.2)
_LOCAL_PER_SCALE = 40
_REFINED_CANDIDATES = 5

# A finite space of at most this many points is searched exhaustively.
_ENUMERATION_LIMIT = 4096

# NOTE: the model keeps at most _MODEL_LIMIT observations, and its hyperparameters are fitted on
# at most _FIT_LIMIT of them: the best quarter and a random sample of the rest. On 2 cores a
# proposal with 1,000 observations then takes about 0.2 s, against 3 s when the fit used every
# observation. Beyond _MODEL_LIMIT observations the model no longer uses every run.
_MODEL_LIMIT = 1500
_FIT_LIMIT = 200


class BayesianParameterSampling(ParameterSampling):
    """Propose each configuration from a Gaussian process model of the ended runs.

    Every expression type is accepted and modelled on its natural scale (log expressions in the
    log, normal ones through their CDF, q-expressions and ``randint`` on their grid, non-numeric
    choices as categories). The sweep passes each ended run to the sampler, which learns the
    direction from the sweep's primary metric goal. Runs cancelled by an early termination
    policy count as pessimistic observations, never as completed ones.

    ``seed`` (an int >= 0) makes the proposals reproducible for the same sequence of outcomes;
    without one, a seed is drawn once at construction and kept in :meth:`to_dict`.
    ``properties`` is Azure's form of the same option (``{"seed": 1}``).

    :meth:`preview` returns only the initial design, because later configurations depend on the
    results of the runs. Over a finite discrete space no configuration is proposed twice, and
    the sweep ends when every configuration was tried.
    """

    type_name = "bayesian"
    replays_sequence = False

    def __init__(
        self,
        parameter_space: SearchSpace | Mapping[str, Any],
        seed: int | None = None,
        *,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(parameter_space)
        merged = merge_properties("bayesian", properties, {"seed": seed}, defaults={"seed": None})
        self._seed = resolve_seed("bayesian", merged["seed"])

    @property
    def seed(self) -> int:
        """The seed of every sampler that this sampling creates."""
        return self._seed

    @property
    def design_size(self) -> int:
        """The number of configurations of the initial space-filling design."""
        size = min(_MAX_DESIGN, max(5, 2 * len(self._space)))
        if self._space.size is not None:
            size = min(size, self._space.size)
        return size

    def preview(self, n: int) -> list[Configuration]:
        """Return the first ``n`` configurations of the initial design (fewer if it is shorter).

        Later configurations depend on the results of the runs and cannot be previewed.
        """
        if isinstance(n, int) and not isinstance(n, bool):
            n = min(n, self.design_size)
        return super().preview(n)

    def check_limits(self, max_total_runs: int, max_concurrent_runs: int) -> list[str]:
        sentences: list[str] = []
        hyperparameters = len(self._space)
        recommended = RUNS_PER_HYPERPARAMETER * hyperparameters
        if max_total_runs < recommended:
            sentences.append(
                f"max_total_runs={max_total_runs} is less than {RUNS_PER_HYPERPARAMETER} runs "
                f"for each of the {hyperparameters} hyperparameters; Bayesian sampling has "
                f"little to learn from in so few runs. Raise max_total_runs to {recommended} "
                "or more, or use RandomParameterSampling"
            )

        if max_concurrent_runs > MAX_USEFUL_CONCURRENCY:
            sentences.append(
                f"max_concurrent_runs={max_concurrent_runs} is more than "
                f"{MAX_USEFUL_CONCURRENCY}; Bayesian sampling proposes each run from the runs "
                "that ended before it started, so most runs would start with little to learn "
                f"from. Lower max_concurrent_runs to {MAX_USEFUL_CONCURRENCY} or less"
            )
        return sentences

    def create_sampler(
        self, *, skip: Collection[Point] = (), goal: PrimaryMetricGoal = PrimaryMetricGoal.MAXIMIZE
    ) -> Sampler:
        goal = PrimaryMetricGoal.parse(goal, field="goal")
        return _BayesianSampler(self._space, self._seed, self.design_size, goal, skip)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "seed": self._seed, "space": self._space.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BayesianParameterSampling:
        check_keys(data, "bayesian", required=("type", "space"), optional=("seed",))
        return cls(data["space"], seed=data.get("seed"))


class _BayesianSampler(Sampler):
    def __init__(
        self,
        space: SearchSpace,
        seed: int,
        design_size: int,
        goal: PrimaryMetricGoal,
        skip: Collection[Point],
    ) -> None:
        super().__init__()
        self._space = space
        self._seed = seed
        self._design_size = design_size
        self._encoding = SpaceEncoding(space)
        self._table = ObservationTable(goal)
        self._tried = TriedPoints(space)
        self._pending: list[Point] = []
        self._adopted_runs = 0
        self._design_cursor = 0
        self._hyperparameters: np.ndarray | None = None
        self._enumerated_features: np.ndarray | None = None

        for point in skip:
            self._tried.add(as_point(space, point))

    def observe(self, observation: Observation) -> None:
        if not isinstance(observation, Observation):
            raise TypeError(f"observation={observation!r} must be an Observation")

        if observation.status not in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED):
            raise ValueError(
                f"observation status {observation.status!r} is invalid; only ended runs "
                "(COMPLETED, FAILED or CANCELED) can be observed"
            )

        value = observation.value
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, numbers.Real)
        ):
            raise TypeError(
                f"observation value {value!r} is invalid; use the run's best primary metric "
                "value as a float, or None when it logged none"
            )

        configuration = observation.configuration
        missing = [name for name in self._space.names if name not in configuration]
        if missing:
            logger.debug("observation without %s is left out of the model", ", ".join(missing))
            return

        point = tuple(configuration[name] for name in self._space.names)
        proposed = point in self._pending
        if proposed:
            self._pending.remove(point)
        self._tried.add(point)

        features = self._encoding.encode(point)
        if features is None:
            logger.debug("observation %r lies outside the space; left out of the model", point)
            return

        if not proposed:
            # A warm-start parent's run, or a run of this sweep proposed by an earlier sampler
            # (a resumed sweep): it takes the place of a design point all the same.
            self._adopted_runs += 1
        self._table.add(features, None if value is None else float(value), observation.status)

    def _next_configuration(self) -> Configuration | None:
        if self._tried.exhausted:
            return None

        # Each proposal draws from its own stream, so that it depends on the seed, its position
        # and the observations, and not on how many numbers earlier proposals drew.
        rng = np.random.default_rng(np.random.SeedSequence(self._seed, spawn_key=(self.count,)))
        point: Point | None = None
        if self._uses_model():
            with single_blas_thread():
                point = self._model_point(rng)
        if point is None:
            point = self._design_point()
        if self._tried.contains(point):
            point = self._tried.untried_near(point, rng)
        if point is None:
            return None

        self._tried.add(point)
        self._pending.append(point)
        return dict(zip(self._space.names, point, strict=True))

    def _uses_model(self) -> bool:
        design_left = self._design_size - self._adopted_runs - self.count
        return (
            design_left <= 0 and self._encoding.dimensions > 0 and self._table.finite_count >= 2
        )

    def _design_point(self) -> Point:
        """Return the next untried point of the Sobol design, or the last one tried."""
        dimensions = max(self._encoding.dimensions, 1)
        point: Point = ()
        for _ in range(_SOBOL_BLOCK):
            cube = _sobol_rows(self._seed, dimensions, self._design_cursor, 1)
            self._design_cursor += 1
            features = self._encoding.from_unit(cube[:, : self._encoding.dimensions])
            point = self._encoding.decode(features[0])
            if not self._tried.contains(point):
                break
        return point

    def _model_point(self, rng: np.random.Generator) -> Point | None:
        data = self._table.training_data()
        if data is None:
            return None

        y = warp_targets(data.y)
        incumbent = float(np.min(y[data.completed])) if data.completed.any() else float(y.min())
        try:
            model = self._fit(data.x, y, rng)
        except np.linalg.LinAlgError as error:
            logger.warning("the Gaussian process fit failed (%s); proposing a design point", error)
            return None

        pending = [self._encoding.encode(point) for point in self._pending]
        believed = [features for features in pending if features is not None]
        if believed:
            # The kriging believer: each pending run is taken to return the model's prediction,
            # which also counts toward the incumbent, as an observation would.
            x_pending = np.array(believed)
            predicted = model.predict(x_pending)[0]
            model = model.with_fantasies(x_pending, predicted)
            incumbent = min(incumbent, float(predicted.min()))

        untried = self._tried.untried_indices(_ENUMERATION_LIMIT)
        if untried is not None:
            candidates = self._all_features()[untried]
            refine = 0
        else:
            candidates = self._candidates(rng, data, y)
            refine = _REFINED_CANDIDATES
        if len(candidates) == 0:
            return None

        ranked, values = maximize_log_ei(
            model, incumbent, candidates, self._encoding, refine=refine
        )
        for features, value in zip(ranked, values, strict=True):
            point = self._encoding.decode(features)
            if not self._tried.contains(point):
                logger.debug("proposing %r with log expected improvement %.3g", point, value)
                return point
        return None

    def _all_features(self) -> np.ndarray:
        """Return the features of every point of a finite space, in SearchSpace.point_at order."""
        if self._enumerated_features is None:
            size = self._space.size or 0
            rows = [self._encoding.encode(self._space.point_at(index)) for index in range(size)]
            self._enumerated_features = np.array(rows, dtype=float)
        return self._enumerated_features

    def _fit(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> GaussianProcess:
        model_rows = _subset(y, _MODEL_LIMIT, rng)
        x, y = x[model_rows], y[model_rows]
        fit_rows = _subset(y, _FIT_LIMIT, rng)

        starts = [default_hyperparameters(self._encoding.dimensions)]
        if self._hyperparameters is not None:
            starts.insert(0, self._hyperparameters)
        self._hyperparameters = fit_hyperparameters(
            x[fit_rows], y[fit_rows], self._encoding.categorical, starts
        )
        return GaussianProcess(x, y, self._encoding.categorical, self._hyperparameters)

    def _candidates(
        self, rng: np.random.Generator, data: TrainingData, y: np.ndarray
    ) -> np.ndarray:
        dimensions = self._encoding.dimensions
        engine = _sobol_engine(dimensions, rng)
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="The balance properties of Sobol", category=UserWarning
            )
            cube = engine.random(_SOBOL_CANDIDATES)
        candidates = [self._encoding.from_unit(cube)]

        movable = ~self._encoding.categorical
        levels = self._encoding.levels
        for index in np.argsort(y, kind="stable")[:_LOCAL_CENTRES]:
            centre = data.x[index]
            for scale in _LOCAL_SCALES:
                local = np.repeat(centre[None, :], _LOCAL_PER_SCALE, axis=0)
                noise = rng.normal(0.0, scale, size=(_LOCAL_PER_SCALE, int(movable.sum())))
                local[:, movable] = np.clip(local[:, movable] + noise, 0.0, 1.0)
                for feature in np.flatnonzero(~movable):
                    flip = rng.random(_LOCAL_PER_SCALE) < max(scale, 1.0 / dimensions)
                    local[flip, feature] = rng.integers(levels[feature], size=int(flip.sum()))
                candidates.append(self._encoding.snap(local))
        return np.vstack(candidates)


def _subset(y: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Return the rows of the best quarter of ``size`` targets and a random sample of the rest."""
    rows = np.arange(len(y))
    if len(y) <= size:
        return rows

    best = np.argsort(y, kind="stable")[: size // 4]
    sample = rng.choice(np.setdiff1d(rows, best), size=size - len(best), replace=False)
    return np.sort(np.concatenate([best, sample]))


def _sobol_engine(dimensions: int, rng: np.random.Generator) -> qmc.Sobol:
    # scipy 1.15 renamed the seed argument to rng.
    if "rng" in inspect.signature(qmc.Sobol).parameters:
        return qmc.Sobol(dimensions, scramble=True, rng=rng)
    return qmc.Sobol(dimensions, scramble=True, seed=rng)


def _sobol_rows(seed: int, dimensions: int, start: int, count: int) -> np.ndarray:
    """Return rows ``start`` to ``start + count`` of the design's scrambled Sobol sequence."""
    engine = _sobol_engine(max(dimensions, 1), np.random.default_rng(seed))
    if start:
        engine.fast_forward(start)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="The balance properties of Sobol", category=UserWarning
        )
        return engine.random(count)
