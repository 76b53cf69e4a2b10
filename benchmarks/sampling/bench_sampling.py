"""Compare hypersweep's Bayesian and random sampling with Optuna's and Hyperopt's samplers.

For each problem of problems.py, each method and each seed, a sequential sweep (one run at a
time) of ``--runs`` runs records the value of every run. The report gives the median over seeds
of the best-so-far regret after 10, 25, 50 and 100 runs, the average rank of each method across
problems, and the time one suggestion takes with 100, 500 and 1000 finished runs for
hypersweep's Bayesian sampler and Optuna's GPSampler.

Regret is the best value found so far minus the known minimum for the synthetic functions, and
minus the best value that any method found in any seed for the real tasks.

Methods, each with its library's defaults and the seed:

- ``hypersweep-bayes``: BayesianParameterSampling;
- ``hypersweep-random``: RandomParameterSampling;
- ``optuna-tpe`` and ``optuna-gp``: Optuna's TPESampler and GPSampler;
- ``hyperopt-tpe`` and ``hyperopt-random``: Hyperopt's tpe.suggest and rand.suggest.

Every process uses one BLAS thread and one PyTorch thread, and two processes run at once:

    python benchmarks/sampling/bench_sampling.py --markdown     # about 25 minutes on 2 cores
    python benchmarks/sampling/bench_sampling.py --seeds 3 --problems branin --skip-timing

Results go to results.json next to this script; ``--markdown`` prints the tables of the report.
"""

from __future__ import annotations

import os

# Set before NumPy, SciPy or PyTorch load their thread pools.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable, Mapping, Sequence  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import rankdata  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from problems import PROBLEMS, Parameter, Problem  # noqa: E402

from hypersweep.enums import PrimaryMetricGoal, RunStatus  # noqa: E402
from hypersweep.sampling import (  # noqa: E402
    BayesianParameterSampling,
    RandomParameterSampling,
)
from hypersweep.sampling.base import Observation  # noqa: E402
from hypersweep.space import (  # noqa: E402
    ParameterExpression,
    choice,
    loguniform,
    qloguniform,
    quniform,
    uniform,
)

DEFAULT_OUTPUT = HERE / "results.json"
CHECKPOINTS = (10, 25, 50, 100)
RANKED_CHECKPOINTS = (50, 100)
TIMING_SIZES = (100, 500, 1000)
TIMING_PROBLEM = "hartmann6"

METHODS = (
    "hypersweep-bayes",
    "hypersweep-random",
    "optuna-tpe",
    "optuna-gp",
    "hyperopt-tpe",
    "hyperopt-random",
)

Configuration = dict[str, Any]
Runner = Callable[[Problem, int, int], list[float]]


# Search spaces of each library, built from the problem's parameters.


def hypersweep_space(parameters: Sequence[Parameter]) -> dict[str, ParameterExpression]:
    space: dict[str, ParameterExpression] = {}
    for parameter in parameters:
        if parameter.kind == "categorical":
            space[parameter.name] = choice(*parameter.choices)
        elif parameter.kind == "int" and parameter.log:
            low, high = math.log(parameter.low), math.log(parameter.high)
            space[parameter.name] = qloguniform(low, high, 1)
        elif parameter.kind == "int":
            space[parameter.name] = quniform(parameter.low, parameter.high, 1)
        elif parameter.log:
            low, high = math.log(parameter.low), math.log(parameter.high)
            space[parameter.name] = loguniform(low, high)
        else:
            space[parameter.name] = uniform(parameter.low, parameter.high)
    return space


def optuna_suggest(trial: Any, parameters: Sequence[Parameter]) -> Configuration:
    configuration: Configuration = {}
    for p in parameters:
        if p.kind == "categorical":
            configuration[p.name] = trial.suggest_categorical(p.name, list(p.choices))
        elif p.kind == "int":
            configuration[p.name] = trial.suggest_int(p.name, int(p.low), int(p.high), log=p.log)
        else:
            configuration[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log)
    return configuration


def hyperopt_space(parameters: Sequence[Parameter]) -> dict[str, Any]:
    from hyperopt import hp

    space: dict[str, Any] = {}
    for p in parameters:
        if p.kind == "categorical":
            space[p.name] = hp.choice(p.name, list(p.choices))
        elif p.kind == "int" and p.log:
            space[p.name] = hp.qloguniform(p.name, math.log(p.low), math.log(p.high), 1)
        elif p.kind == "int":
            space[p.name] = hp.quniform(p.name, p.low, p.high, 1)
        elif p.log:
            space[p.name] = hp.loguniform(p.name, math.log(p.low), math.log(p.high))
        else:
            space[p.name] = hp.uniform(p.name, p.low, p.high)
    return space


# One sweep of each method: the values of its runs, in order.


def run_hypersweep(bayesian: bool, problem: Problem, seed: int, runs: int) -> list[float]:
    space = hypersweep_space(problem.parameters)
    if bayesian:
        sampling: Any = BayesianParameterSampling(space, seed=seed)
    else:
        sampling = RandomParameterSampling(space, seed=seed)
    sampler = sampling.create_sampler(goal=PrimaryMetricGoal.MINIMIZE)

    values: list[float] = []
    for _ in range(runs):
        configuration = sampler.next_configuration()
        if configuration is None:
            break
        value = problem.objective(configuration)
        values.append(value)
        sampler.observe(Observation(configuration, value, RunStatus.COMPLETED, intervals=1))
    return values


def run_optuna(kind: str, problem: Problem, seed: int, runs: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if kind == "gp":
        sampler: Any = optuna.samplers.GPSampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction="minimize", sampler=sampler)

    def objective(trial: Any) -> float:
        return problem.objective(optuna_suggest(trial, problem.parameters))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=runs)
    return [float(trial.values[0]) for trial in study.trials]


def run_hyperopt(kind: str, problem: Problem, seed: int, runs: int) -> list[float]:
    from hyperopt import Trials, fmin, rand, tpe

    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    trials = Trials()
    fmin(
        lambda configuration: problem.objective(configuration),
        hyperopt_space(problem.parameters),
        algo=tpe.suggest if kind == "tpe" else rand.suggest,
        max_evals=runs,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return [float(loss) for loss in trials.losses()]


def run_method(method: str, problem: Problem, seed: int, runs: int) -> list[float]:
    if method.startswith("hypersweep-"):
        return run_hypersweep(method == "hypersweep-bayes", problem, seed, runs)
    if method.startswith("optuna-"):
        return run_optuna(method.removeprefix("optuna-"), problem, seed, runs)
    return run_hyperopt(method.removeprefix("hyperopt-"), problem, seed, runs)


def _task(arguments: tuple[str, str, int, int]) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)
    method, problem_name, seed, runs = arguments
    started = time.perf_counter()
    values = run_method(method, PROBLEMS[problem_name], seed, runs)
    return {
        "method": method,
        "problem": problem_name,
        "seed": seed,
        "values": values,
        "seconds": time.perf_counter() - started,
    }


# Summaries.


def best_so_far(values: Sequence[float]) -> np.ndarray:
    return np.minimum.accumulate(np.asarray(values, dtype=float))


def summarise(
    traces: list[dict[str, Any]], problems: Sequence[str], methods: Sequence[str], runs: int
) -> dict[str, Any]:
    checkpoints = [c for c in CHECKPOINTS if c <= runs]
    references: dict[str, float] = {}
    for name in problems:
        optimum = PROBLEMS[name].optimum
        if optimum is None:
            optimum = min(min(t["values"]) for t in traces if t["problem"] == name)
        references[name] = optimum

    median_regret: dict[str, dict[str, dict[str, float]]] = {}
    for name in problems:
        median_regret[name] = {}
        for method in methods:
            curves = [
                best_so_far(t["values"]) - references[name]
                for t in traces
                if t["problem"] == name and t["method"] == method
            ]
            median_regret[name][method] = {
                str(c): float(np.median([curve[min(c, len(curve)) - 1] for curve in curves]))
                for c in checkpoints
            }

    ranks: dict[str, dict[str, float]] = {}
    for c in RANKED_CHECKPOINTS:
        if c not in checkpoints:
            continue
        per_problem = []
        for name in problems:
            regrets = [median_regret[name][method][str(c)] for method in methods]
            per_problem.append(rankdata(regrets, method="average"))
        average = np.mean(per_problem, axis=0)
        ranks[str(c)] = {method: float(r) for method, r in zip(methods, average, strict=True)}

    seconds = {
        method: statistics.fmean(t["seconds"] for t in traces if t["method"] == method)
        for method in methods
    }
    return {
        "references": references,
        "median_regret": median_regret,
        "average_rank": ranks,
        "mean_seconds_per_sweep": seconds,
    }


# Time of one suggestion.


def _random_history(problem: Problem, size: int, seed: int) -> list[tuple[Configuration, float]]:
    sampler = RandomParameterSampling(hypersweep_space(problem.parameters), seed=seed)
    return [(c, problem.objective(c)) for c in sampler.preview(size)]


def time_hypersweep(history: list[tuple[Configuration, float]], problem: Problem) -> float:
    sampling = BayesianParameterSampling(hypersweep_space(problem.parameters), seed=0)
    sampler = sampling.create_sampler(goal=PrimaryMetricGoal.MINIMIZE)
    for configuration, value in history:
        sampler.observe(
            Observation(configuration, value, RunStatus.COMPLETED, intervals=1, from_parent=True)
        )
    started = time.perf_counter()
    sampler.next_configuration()
    return time.perf_counter() - started


def time_optuna_gp(history: list[tuple[Configuration, float]], problem: Problem) -> float:
    import optuna
    from optuna.distributions import BaseDistribution, FloatDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    distributions: dict[str, BaseDistribution] = {
        p.name: FloatDistribution(p.low, p.high) for p in problem.parameters
    }
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.GPSampler(seed=0))
    study.add_trials(
        [
            optuna.trial.create_trial(params=c, distributions=distributions, value=v)
            for c, v in history
        ]
    )
    started = time.perf_counter()
    # ask() suggests every parameter of the distributions, and the first suggestion makes
    # GPSampler fit its model and propose all of them.
    trial = study.ask(distributions)
    elapsed = time.perf_counter() - started
    study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return elapsed


def measure_suggestion_times(repeats: int) -> dict[str, dict[str, list[float]]]:
    import torch

    torch.set_num_threads(1)
    problem = PROBLEMS[TIMING_PROBLEM]
    times: dict[str, dict[str, list[float]]] = {"hypersweep-bayes": {}, "optuna-gp": {}}
    for size in TIMING_SIZES:
        history = _random_history(problem, size, seed=size)
        times["hypersweep-bayes"][str(size)] = [
            time_hypersweep(history, problem) for _ in range(repeats)
        ]
        times["optuna-gp"][str(size)] = [time_optuna_gp(history, problem) for _ in range(repeats)]
        logging.info(
            "suggestion time at %d runs: hypersweep %.3f s, optuna-gp %.3f s",
            size,
            statistics.median(times["hypersweep-bayes"][str(size)]),
            statistics.median(times["optuna-gp"][str(size)]),
        )
    return times


# Report.


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass

    versions = {"python": platform.python_version()}
    for package in ("hypersweep", "numpy", "scipy", "optuna", "hyperopt", "torch", "scikit-learn"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": memory, "versions": versions}


def markdown(results: Mapping[str, Any]) -> str:
    summary = results["summary"]
    methods = results["methods"]
    lines: list[str] = []

    for c, ranks in summary["average_rank"].items():
        lines.append(f"Average rank at {c} runs (1 is best): " + ", ".join(
            f"{method} {ranks[method]:.2f}" for method in sorted(methods, key=ranks.__getitem__)
        ) + ".")
        lines.append("")

    header = "| problem | runs | " + " | ".join(methods) + " |"
    lines += [header, "|" + "---|" * (len(methods) + 2)]
    for name, by_method in summary["median_regret"].items():
        for c in by_method[methods[0]]:
            row = [f"{by_method[method][c]:.3g}" for method in methods]
            lines.append(f"| {name} | {c} | " + " | ".join(row) + " |")

    timing = results.get("suggestion_seconds")
    if timing:
        lines += ["", "| finished runs | hypersweep-bayes (s) | optuna-gp (s) | ratio |",
                  "|---|---|---|---|"]
        for size in timing["hypersweep-bayes"]:
            ours = statistics.median(timing["hypersweep-bayes"][size])
            theirs = statistics.median(timing["optuna-gp"][size])
            lines.append(f"| {size} | {ours:.3f} | {theirs:.3f} | {ours / theirs:.2f} |")
    return "\n".join(lines)


def write_results(path: Path, results: Mapping[str, Any]) -> None:
    """Write the results as indented JSON, with each sweep's trace on one line.

    Trace values keep 12 significant digits, enough for the smallest regrets reported.
    """
    placeholder = '"@traces@"'
    text = json.dumps({**results, "traces": "@traces@"}, indent=1)
    traces = ",\n  ".join(
        json.dumps({**trace, "values": [float(f"{v:.12g}") for v in trace["values"]]})
        for trace in results["traces"]
    )
    path.write_text(text.replace(placeholder, "[\n  " + traces + "\n ]") + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=12, help="seeds per problem and method")
    parser.add_argument("--runs", type=int, default=100, help="runs per sweep")
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--workers", type=int, default=2, help="processes that run sweeps")
    parser.add_argument("--timing-repeats", type=int, default=3)
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--markdown", action="store_true", help="print the report's tables")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    started = time.perf_counter()
    tasks = [
        (method, name, seed, arguments.runs)
        for name in arguments.problems
        for seed in range(arguments.seeds)
        for method in arguments.methods
    ]
    traces: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=arguments.workers) as pool:
        for trace in pool.map(_task, tasks):
            traces.append(trace)
            logging.info(
                "%s %s seed %d: best %.6g in %.1f s",
                trace["problem"],
                trace["method"],
                trace["seed"],
                min(trace["values"]),
                trace["seconds"],
            )

    results: dict[str, Any] = {
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "machine": machine(),
        "seeds": arguments.seeds,
        "runs": arguments.runs,
        "problems": arguments.problems,
        "methods": arguments.methods,
        "summary": summarise(traces, arguments.problems, arguments.methods, arguments.runs),
        "traces": traces,
    }
    if not arguments.skip_timing:
        results["suggestion_seconds"] = measure_suggestion_times(arguments.timing_repeats)
    results["total_seconds"] = time.perf_counter() - started

    write_results(arguments.output, results)
    logging.info("wrote %s after %.0f s", arguments.output, results["total_seconds"])
    if arguments.markdown:
        print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
