"""The interfaces that every sampling implements, and their serialisation.

A :class:`ParameterSampling` is the user's choice of algorithm and search space; it is
immutable and serialisable. :meth:`ParameterSampling.create_sampler` starts a stateful
:class:`Sampler`, from which a sweep controller requests one configuration per child run, in
order.

A subclass that sets the class attribute ``type_name`` registers itself, so that
:func:`sampling_from_dict` rebuilds it from its :meth:`~ParameterSampling.to_dict` form.
"""

from __future__ import annotations

import abc
import numbers
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from hypersweep.enums import PrimaryMetricGoal, RunStatus
from hypersweep.errors import InvalidConfigError
from hypersweep.space import SearchSpace

__all__ = [
    "Configuration",
    "Observation",
    "ParameterSampling",
    "Point",
    "Sampler",
    "SamplingLimitWarning",
    "as_point",
    "check_keys",
    "resolve_seed",
    "merge_properties",
    "sampling_from_dict",
]

Configuration = dict[str, Any]
"""One configuration: hyperparameter name to value, in the space's declaration order."""

Point = tuple[Any, ...]
"""One configuration as a tuple of values in the space's declaration order."""

_SAMPLINGS: dict[str, type[ParameterSampling]] = {}


class SamplingLimitWarning(UserWarning):
    """The sweep's run limits leave a sampling algorithm too little room to work well."""


@dataclass(frozen=True)
class Observation:
    """The outcome of one ended child run, as a sampler learns it.

    ``value`` is the best finite primary metric value that the run logged (the highest for
    MAXIMIZE, the lowest for MINIMIZE), or None when it logged no finite value. ``status`` is
    COMPLETED, FAILED or CANCELED; a run stopped by an early termination policy is CANCELED.
    ``intervals`` is how many primary metric values the run logged. ``from_parent`` marks a run
    of a warm-start parent, observed before the sampler's first proposal.
    """

    configuration: Mapping[str, Any]
    value: float | None
    status: RunStatus
    intervals: int
    from_parent: bool = False


class Sampler(abc.ABC):
    """A stateful source of configurations for one sweep.

    Subclasses implement :meth:`_next_configuration`; :meth:`next_configuration` counts what
    it returns. Every configuration returned and not yet passed to :meth:`observe` is pending:
    its run has started or is about to start.
    """

    def __init__(self) -> None:
        self._count = 0

    @property
    def count(self) -> int:
        """How many configurations this sampler has proposed."""
        return self._count

    def next_configuration(self) -> Configuration | None:
        """Return the next configuration to try, or None when none is left."""
        configuration = self._next_configuration()
        if configuration is not None:
            self._count += 1
        return configuration

    def observe(self, observation: Observation) -> None:
        """Learn the outcome of an ended run. Samplers that ignore outcomes do nothing.

        A sweep calls this once for each run that ends, and once for each run of a warm-start
        parent before the first :meth:`next_configuration`.
        """
        return None

    @abc.abstractmethod
    def _next_configuration(self) -> Configuration | None:
        """Return the next configuration, or None when the sampler is exhausted."""


class ParameterSampling(abc.ABC):
    """A sampling algorithm over a search space, e.g. random or grid sampling."""

    type_name: ClassVar[str]
    """The ``type`` of :meth:`to_dict`; setting it in a subclass registers the subclass."""

    replays_sequence: ClassVar[bool] = True
    """Whether the i-th proposal depends only on the settings and i, not on observations.

    A restarted controller puts such a sampler back in place by drawing the proposals it had
    already made; a model-based sampler sets this to False and learns from observations instead.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        type_name = cls.__dict__.get("type_name")
        if type_name is None:
            return

        registered = _SAMPLINGS.get(type_name)
        if registered is not None and registered.__qualname__ != cls.__qualname__:
            raise TypeError(
                f"sampling type {type_name!r} is already registered by {registered.__qualname__}"
            )
        _SAMPLINGS[type_name] = cls

    def __init__(self, parameter_space: SearchSpace | Mapping[str, Any]) -> None:
        self._space = SearchSpace(parameter_space)

    @property
    def space(self) -> SearchSpace:
        """The search space."""
        return self._space

    @property
    def space_size(self) -> int | None:
        """The number of distinct configurations, or None when the space is not finite."""
        return self._space.size

    def preview(self, n: int) -> list[Configuration]:
        """Return the first ``n`` configurations a new sampler proposes (fewer if exhausted)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidConfigError(f"n={n!r} is invalid; use an int >= 0")

        sampler = self.create_sampler()
        configurations: list[Configuration] = []
        while len(configurations) < n:
            configuration = sampler.next_configuration()
            if configuration is None:
                break
            configurations.append(configuration)
        return configurations

    def check_limits(self, max_total_runs: int, max_concurrent_runs: int) -> list[str]:
        """Return one sentence per run limit that keeps this sampling from working well.

        The sweep configuration shows each sentence as a :class:`SamplingLimitWarning`. The
        default returns no sentences.
        """
        return []

    @abc.abstractmethod
    def create_sampler(
        self, *, skip: Collection[Point] = (), goal: PrimaryMetricGoal = PrimaryMetricGoal.MAXIMIZE
    ) -> Sampler:
        """Start a new sampler that never proposes the configurations in ``skip``.

        Each entry of ``skip`` is a tuple of values in the space's declaration order (for
        example the configurations that a warm-start parent already ran). ``goal`` is the
        direction of the primary metric, for samplers that learn from outcomes.
        """

    @abc.abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form that :func:`sampling_from_dict` rebuilds."""

    @classmethod
    @abc.abstractmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParameterSampling:
        """Rebuild a sampling from its :meth:`to_dict` form."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParameterSampling):
            return NotImplemented
        return (
            type(self) is type(other)
            and self._space == other._space
            and self.to_dict() == other.to_dict()
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        arguments = "".join(
            f", {key}={value!r}"
            for key, value in self.to_dict().items()
            if key not in ("type", "space")
        )
        return f"{type(self).__name__}({dict(self._space)!r}{arguments})"


def sampling_from_dict(data: Mapping[str, Any]) -> ParameterSampling:
    """Rebuild any sampling from its :meth:`ParameterSampling.to_dict` form."""
    if not isinstance(data, Mapping):
        raise InvalidConfigError(
            f"sampling: {data!r} must be a mapping with a 'type' key such as 'random'"
        )

    type_name = data.get("type")
    sampling_class = _SAMPLINGS.get(type_name) if isinstance(type_name, str) else None
    if sampling_class is None:
        raise InvalidConfigError(
            f"sampling: type={type_name!r} is unknown; use one of {', '.join(sorted(_SAMPLINGS))}"
        )
    return sampling_class.from_dict(data)


def as_point(space: SearchSpace, point: Iterable[Any]) -> Point:
    """Return ``point`` as a tuple, checking that it has one value per parameter of ``space``."""
    point = tuple(point)
    if len(point) != len(space):
        raise ValueError(
            f"skip: {point!r} has {len(point)} values; the space has {len(space)} parameters "
            f"({', '.join(space.names)})"
        )
    return point


def check_keys(
    data: Mapping[str, Any], type_name: str, required: Iterable[str], optional: Iterable[str] = ()
) -> None:
    """Raise InvalidConfigError if ``data`` lacks a required key or has an unknown one."""
    required = tuple(required)
    accepted = (*required, *optional)

    for key in data:
        if key not in accepted:
            raise InvalidConfigError(
                f"{type_name} sampling: unknown key {key!r}; accepted keys: {', '.join(accepted)}"
            )

    for key in required:
        if key not in data:
            raise InvalidConfigError(
                f"{type_name} sampling: missing key {key!r}; accepted keys: {', '.join(accepted)}"
            )


def merge_properties(
    type_name: str,
    properties: Mapping[str, Any] | None,
    arguments: Mapping[str, Any],
    defaults: Mapping[str, Any],
) -> dict[str, Any]:
    """Merge Azure's ``properties`` dict into the keyword ``arguments`` of a sampling.

    A value in ``properties`` replaces an argument left at its default; an argument set to
    another value that disagrees with ``properties`` raises InvalidConfigError.
    """
    merged = dict(arguments)
    if properties is None:
        return merged

    if not isinstance(properties, Mapping):
        raise InvalidConfigError(
            f"{type_name} sampling: properties={properties!r} must be a dict"
            + (f" with keys {', '.join(arguments)}" if arguments else "")
        )

    for key, value in properties.items():
        if key not in arguments:
            accepted = ", ".join(arguments) if arguments else "none"
            raise InvalidConfigError(
                f"{type_name} sampling: unknown key {key!r} in properties; accepted keys: "
                f"{accepted}"
            )

        argument = arguments[key]
        if argument != defaults.get(key) and argument != value:
            raise InvalidConfigError(
                f"{type_name} sampling: {key}={argument!r} conflicts with "
                f"properties[{key!r}]={value!r}; give it once"
            )
        merged[key] = value
    return merged


def resolve_seed(kind: str, seed: object) -> int:
    """Return ``seed`` as an int, or a fresh seed from the system's entropy if it is None.

    Raises InvalidConfigError, naming the ``kind`` of sampling, for anything but an int >= 0.
    """
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InvalidConfigError(
            f"{kind} sampling: seed={seed!r} is invalid; use an int >= 0, or None to draw one"
        )
    return int(seed)
