"""Compute targets and per-run resources: parsing, validation, YAML, and the local launcher's
use of them. None of these tests needs a Ray cluster."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hypersweep import InvalidConfigError, ScriptRunConfig
from hypersweep.config import load_sweep_file
from hypersweep.errors import HyperSweepError
from hypersweep.launchers import (
    ComputeTarget,
    LaunchSpec,
    LocalLauncher,
    RunResources,
    TargetKind,
    check_resources,
    create_launcher,
    parse_compute_target,
)
from hypersweep.launchers._gpus import detect_gpus

INSTALL_HINT = 'pip install "hypersweep\\[ray\\]"'


@pytest.fixture
def no_gpus(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine without GPUs, whatever this one has."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    detect_gpus.cache_clear()
    yield
    detect_gpus.cache_clear()


@pytest.fixture
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine whose visible GPUs are 0 and 1."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    detect_gpus.cache_clear()
    yield
    detect_gpus.cache_clear()


# -- compute targets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ComputeTarget(TargetKind.LOCAL)),
        ("local", ComputeTarget(TargetKind.LOCAL)),
        ("ray", ComputeTarget(TargetKind.RAY)),
        ("Ray", ComputeTarget(TargetKind.RAY)),
        ("ray://10.0.0.5:10001", ComputeTarget(TargetKind.RAY, "ray://10.0.0.5:10001")),
        ("ray://head.example.org:10001",
         ComputeTarget(TargetKind.RAY, "ray://head.example.org:10001")),
        ("127.0.0.1:6379", ComputeTarget(TargetKind.RAY, "127.0.0.1:6379")),
        ("[::1]:6379", ComputeTarget(TargetKind.RAY, "[::1]:6379")),
    ],
)
def test_compute_target_parses(value: str | None, expected: ComputeTarget) -> None:
    assert parse_compute_target(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("my-cluster", "compute_target='my-cluster' is not supported"),
        ("ray://", "compute_target='ray://' is not supported"),
        ("ray://head", "compute_target='ray://head' is not supported"),
        ("ray://head:99999", "port 99999 is not in 1..65535"),
        ("http://head:8265", "the only scheme is ray://"),
        ("head:port", "compute_target='head:port' is not supported"),
        ("", "compute_target='' is invalid"),
        (42, "compute_target=42 is invalid"),
    ],
)
def test_compute_target_rejects(value: object, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message):
        parse_compute_target(value)


@pytest.mark.parametrize("text", ["local", "ray", "ray://10.0.0.5:10001", "10.0.0.5:6379"])
def test_compute_target_text_round_trips(text: str) -> None:
    assert str(parse_compute_target(text)) == text


@pytest.mark.parametrize("target", ["ray", "ray://10.0.0.5:10001", "10.0.0.5:6379"])
def test_script_run_config_keeps_ray_target(tmp_path: Path, target: str) -> None:
    pytest.importorskip("ray")
    (tmp_path / "train.py").write_text("")
    config = ScriptRunConfig(source_directory=tmp_path, script="train.py",
                             compute_target=target, resources={"cpu": 2, "memory": 1.5})

    rebuilt = ScriptRunConfig.from_dict(config.to_dict())

    assert config.compute_target == target
    assert rebuilt.compute_target == target
    assert rebuilt.resources == {"cpu": 2.0, "memory": 1.5}


def test_ray_target_without_ray_names_install_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "train.py").write_text("")
    # None in sys.modules makes `import ray` fail, as if Ray were not installed.
    monkeypatch.setitem(sys.modules, "ray", None)

    with pytest.raises(InvalidConfigError, match=f"needs Ray.*{INSTALL_HINT}"):
        ScriptRunConfig(source_directory=tmp_path, script="train.py", compute_target="ray")


def test_create_launcher_without_ray_names_install_command() -> None:
    code = textwrap.dedent("""
        import sys
        sys.modules["ray"] = None
        from hypersweep.launchers import create_launcher
        try:
            create_launcher("ray")
        except Exception as error:
            print(type(error).__name__, error)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)

    assert result.stdout.startswith("InvalidConfigError compute_target='ray' needs Ray")
    assert 'pip install "hypersweep[ray]"' in result.stdout
    assert len(result.stdout.strip().splitlines()) == 1


def test_cli_without_ray_prints_one_line(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("")
    sweep = tmp_path / "sweep.yml"
    sweep.write_text(textwrap.dedent("""
        trial:
          code: .
          command: python train.py --x ${{search_space.x}}
        compute: ray
        search_space: {x: {type: uniform, min_value: 0, max_value: 1}}
        objective: {goal: maximize, primary_metric: score}
        limits: {max_total_trials: 2}
    """))
    code = ("import sys; sys.modules['ray'] = None; from hypersweep.cli import main; "
            f"sys.exit(main(['run', {str(sweep)!r}, '--workspace', {str(tmp_path / 'ws')!r}]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "needs Ray" in lines[0]
    assert 'pip install "hypersweep[ray]"' in lines[0]


def test_core_package_does_not_import_ray() -> None:
    code = textwrap.dedent("""
        import sys
        import hypersweep, hypersweep.api, hypersweep.cli, hypersweep.config
        import hypersweep.controller, hypersweep.launchers
        from hypersweep import ScriptRunConfig
        from hypersweep.launchers import create_launcher
        create_launcher("local")
        print("ray" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "False"


# -- YAML ------------------------------------------------------------------------------------


SWEEP = """
type: sweep
trial:
  code: .
  command: python train.py --x ${{search_space.x}}
  resources: {cpu: 2, gpu: 0, memory: 4}
compute: COMPUTE
search_space:
  x: {type: uniform, min_value: 0, max_value: 1}
objective: {goal: maximize, primary_metric: score}
limits: {max_total_trials: 4}
"""


def write_sweep(tmp_path: Path, compute: str, text: str = SWEEP) -> Path:
    (tmp_path / "train.py").write_text("")
    path = tmp_path / "sweep.yml"
    path.write_text(textwrap.dedent(text).lstrip().replace("COMPUTE", compute))
    return path


@pytest.mark.parametrize("compute", ["ray", "ray://10.0.0.5:10001", "10.0.0.5:6379", "local"])
def test_yaml_compute_reaches_run_config(tmp_path: Path, compute: str) -> None:
    if compute != "local":
        pytest.importorskip("ray")
    sweep = load_sweep_file(write_sweep(tmp_path, compute))

    run_config = sweep.config.run_config
    assert run_config.compute_target == compute
    assert run_config.resources == {"cpu": 2.0, "gpu": 0.0, "memory": 4.0}


def test_yaml_compute_default_is_local(tmp_path: Path) -> None:
    text = SWEEP.replace("compute: COMPUTE\n", "")
    sweep = load_sweep_file(write_sweep(tmp_path, "", text))
    assert sweep.config.run_config.compute_target == "local"


def test_yaml_bad_compute_names_key_and_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfigError,
                       match=r"sweep\.yml:6: compute='my-cluster' is not supported"):
        load_sweep_file(write_sweep(tmp_path, "my-cluster"))


def test_yaml_bad_resources_name_line(tmp_path: Path) -> None:
    text = SWEEP.replace("memory: 4", "memory: -1")
    with pytest.raises(InvalidConfigError, match=r"sweep\.yml:5: trial: resources\.memory=-1"):
        load_sweep_file(write_sweep(tmp_path, "ray", text))


def test_yaml_gpu_on_machine_without_gpu(tmp_path: Path, no_gpus: None) -> None:
    text = SWEEP.replace("gpu: 0", "gpu: 1")
    with pytest.raises(InvalidConfigError, match=r"resources\.gpu=1 asks for more GPUs"):
        load_sweep_file(write_sweep(tmp_path, "local", text))


def test_yaml_gpu_on_ray_is_checked_later(tmp_path: Path, no_gpus: None) -> None:
    pytest.importorskip("ray")
    text = SWEEP.replace("gpu: 0", "gpu: 1")
    sweep = load_sweep_file(write_sweep(tmp_path, "ray", text))
    assert sweep.config.run_config.resources == {"cpu": 2.0, "gpu": 1.0, "memory": 4.0}


# -- resources -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ([1, 2], r"resources=\[1, 2\] is invalid; give a mapping"),
        ({"tpu": 1}, "resources: key 'tpu' is unknown; use cpu, gpu, memory"),
        ({"cpu": 0}, "resources.cpu=0 is invalid; give a number of cores > 0"),
        ({"cpu": -1}, "resources.cpu=-1 is invalid"),
        ({"gpu": -1}, r"resources.gpu=-1 is invalid; give a number >= 0"),
        ({"memory": 0}, "resources.memory=0 is invalid; give a number of GiB > 0"),
        ({"memory": "8GiB"}, "resources.memory='8GiB' is invalid; give a number"),
        ({"cpu": True}, "resources.cpu=True is invalid"),
        ({"cpu": math.nan}, "resources.cpu=nan is invalid"),
        ({"memory": math.inf}, "resources.memory=inf is invalid"),
    ],
)
def test_resources_reject(resources: Any, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message):
        check_resources(resources)


def test_resources_defaults_and_units() -> None:
    assert RunResources.from_mapping(None) == RunResources(cpu=1.0, gpu=0.0, memory_gib=None)

    resources = RunResources.from_mapping({"cpu": 0.5, "gpu": 1, "memory": 1.5})

    assert resources.memory_bytes == int(1.5 * 2**30)
    assert resources.describe() == "cpu=0.5, gpu=1, memory=1.5 GiB"


@pytest.mark.parametrize(
    ("resources", "node", "fits"),
    [
        ({}, {"cpus": 2, "gpus": 0, "memory_bytes": 8 * 2**30}, 2),
        ({"cpu": 0.1}, {"cpus": 0.3, "gpus": 0, "memory_bytes": None}, 3),
        ({"cpu": 3}, {"cpus": 2, "gpus": 0, "memory_bytes": None}, 0),
        ({"gpu": 1}, {"cpus": 8, "gpus": 2, "memory_bytes": None}, 2),
        ({"gpu": 0.5}, {"cpus": 8, "gpus": 1, "memory_bytes": None}, 2),
        ({"memory": 3}, {"cpus": 8, "gpus": 0, "memory_bytes": 8 * 2**30}, 2),
    ],
)
def test_runs_per_node(resources: dict[str, float], node: dict[str, Any], fits: int) -> None:
    assert RunResources.from_mapping(resources).runs_per_node(**node) == fits


def test_local_gpu_request_without_gpu_fails_at_submit(tmp_path: Path, no_gpus: None) -> None:
    (tmp_path / "train.py").write_text("")
    with pytest.raises(InvalidConfigError,
                       match=r"resources\.gpu=1 asks for more GPUs than this machine has "
                             r"\(no GPU"):
        ScriptRunConfig(source_directory=tmp_path, script="train.py", resources={"gpu": 1})


def test_local_fractional_gpu_is_rejected(tmp_path: Path, two_gpus: None) -> None:
    (tmp_path / "train.py").write_text("")
    with pytest.raises(InvalidConfigError, match=r"resources\.gpu=0\.5 is invalid for the local"):
        ScriptRunConfig(source_directory=tmp_path, script="train.py", resources={"gpu": 0.5})


def test_local_memory_beyond_machine_fails(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("")
    with pytest.raises(InvalidConfigError, match=r"resources\.memory=100000 GiB is more than"):
        ScriptRunConfig(source_directory=tmp_path, script="train.py",
                        resources={"memory": 100000})


def test_visible_devices_are_the_gpus(two_gpus: None) -> None:
    assert detect_gpus() == ("0", "1")


# -- the local launcher and resources --------------------------------------------------------


def test_local_capacity_follows_cpu_per_run() -> None:
    cores = os.cpu_count() or 1

    assert LocalLauncher().capacity == cores
    assert LocalLauncher(resources={"cpu": 0.5}).capacity == 2 * cores
    assert LocalLauncher(resources={"cpu": cores * 4}).capacity == 1
    assert LocalLauncher(max_workers=7, resources={"cpu": 1}).capacity == 7


def test_local_capacity_is_bounded_by_gpus() -> None:
    assert LocalLauncher(resources={"cpu": 0.01, "gpu": 1}, gpus=["0", "1"]).capacity == 2
    assert LocalLauncher(resources={"cpu": 0.01, "gpu": 2}, gpus=["0", "1", "2"]).capacity == 1
    assert LocalLauncher(max_workers=8, resources={"gpu": 1}, gpus=["0"]).capacity == 1


def test_local_launcher_rejects_missing_gpus() -> None:
    with pytest.raises(InvalidConfigError, match=r"resources\.gpu=1 asks for more GPUs"):
        LocalLauncher(resources={"gpu": 1}, gpus=[])


def test_create_launcher_local_uses_resources() -> None:
    launcher = create_launcher("local", grace_period=2.0, resources={"cpu": 0.5})
    assert isinstance(launcher, LocalLauncher)
    assert launcher.capacity == 2 * (os.cpu_count() or 1)
    assert launcher.grace_period == 2.0


PRINT_DEVICES = """
import os, sys, time
print("devices=" + os.environ.get("CUDA_VISIBLE_DEVICES", "unset"), flush=True)
time.sleep(float(sys.argv[1]))
"""


def gpu_spec(root: Path, name: str, seconds: float, gpu: float) -> LaunchSpec:
    snapshot = root / "snapshot"
    if not snapshot.exists():
        snapshot.mkdir()
        (snapshot / "devices.py").write_text(PRINT_DEVICES)
    run_dir = root / name
    return LaunchSpec(run_id=name, argv=[sys.executable, "devices.py", str(seconds)],
                      snapshot_dir=snapshot, run_dir=run_dir, env={},
                      log_path=run_dir / "log.txt", resources={"gpu": gpu})


def devices_of(spec: LaunchSpec) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = spec.log_path.read_text() if spec.log_path.exists() else ""
        if "devices=" in text:
            return text.split("devices=")[1].split()[0]
        time.sleep(0.05)
    raise AssertionError(f"{spec.run_id} printed no devices")


def test_local_gpus_are_not_shared(tmp_path: Path) -> None:
    with LocalLauncher(grace_period=0.5, resources={"gpu": 1}, gpus=["0", "1"]) as launcher:
        first = gpu_spec(tmp_path, "first", 0.5, 1)
        second = gpu_spec(tmp_path, "second", 30, 1)
        handles = [launcher.start(first), launcher.start(second)]

        assert {devices_of(first), devices_of(second)} == {"0", "1"}
        with pytest.raises(HyperSweepError, match="only 0 of this machine's 2 GPU"):
            launcher.start(gpu_spec(tmp_path, "third", 0, 1))

        handles[0].wait(timeout=30)
        freed = devices_of(first)
        third = gpu_spec(tmp_path, "fourth", 0, 1)
        launcher.start(third).wait(timeout=30)
        assert devices_of(third) == freed


def test_local_run_without_gpu_keeps_environment(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    with LocalLauncher(grace_period=0.5, gpus=["0"]) as launcher:
        spec = gpu_spec(tmp_path, "plain", 0, 0)
        launcher.start(spec).wait(timeout=30)
    assert devices_of(spec) == "unset"
