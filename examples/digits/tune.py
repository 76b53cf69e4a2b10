"""Tune the digits example through the Python API and print the best run.

Run it from any folder: python examples/digits/tune.py
"""

from __future__ import annotations

from pathlib import Path

from hypersweep import (
    Experiment,
    HyperDriveConfig,
    PrimaryMetricGoal,
    RandomParameterSampling,
    ScriptRunConfig,
    Workspace,
    choice,
    loguniform,
)


def main() -> None:
    here = Path(__file__).resolve().parent
    run_config = ScriptRunConfig(source_directory=str(here), script="train.py",
                                 arguments=["--epochs", 25])
    sampling = RandomParameterSampling(
        {
            "learning_rate": loguniform(-9.2, -2.3),
            "alpha": loguniform(-11.5, -4.6),
            "hidden_units": choice(32, 64, 128, 256),
            "batch_size": choice(16, 32, 64, 128),
            "activation": choice("relu", "tanh", "logistic"),
        },
        seed=20,
    )
    config = HyperDriveConfig(
        run_config=run_config,
        hyperparameter_sampling=sampling,
        primary_metric_name="accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=20,
        max_concurrent_runs=2,
    )

    sweep = Experiment(Workspace(), "digits").submit(config)
    print(f"submitted sweep {sweep.id}")
    sweep.wait_for_completion(show_output=True)

    best = sweep.get_best_run_by_primary_metric()
    if best is None:
        print("no run logged an accuracy")
        return

    accuracy = max(best.get_metrics()["accuracy"])
    print(f"best run: {best.id}")
    print(f"validation accuracy: {accuracy:.4f}")
    print(f"arguments: {best.get_details()['runDefinition']['arguments']}")


if __name__ == "__main__":
    main()
