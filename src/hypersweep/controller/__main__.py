"""Entry point of the controller process: ``python -m hypersweep.controller RUN_ID``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from types import FrameType

from hypersweep.api.workspace import Workspace
from hypersweep.controller.sweep import SweepController
from hypersweep.enums import RunStatus


def main(argv: list[str] | None = None) -> int:
    """Run one recorded sweep to its end; exit 0 when it completed, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m hypersweep.controller",
                                     description="Run one recorded hypersweep sweep.")
    parser.add_argument("--workspace", required=True, help="workspace folder")
    parser.add_argument("--resume", action="store_true",
                        help="continue a sweep whose previous controller stopped")
    parser.add_argument("run_id", help="id of the sweep (HD_...)")
    options = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    workspace = Workspace(options.workspace)
    try:
        controller = SweepController(workspace, options.run_id, resume=options.resume)
    except Exception as exc:
        # Without this the sweep would stay Queued and its waiters would wait forever.
        logging.getLogger("hypersweep.controller").exception("the controller could not start")
        with workspace.open_store() as store:
            store.update_parent_run(options.run_id, status=RunStatus.FAILED, ended_at=time.time(),
                                    end_reason=f"the controller could not start: "
                                               f"{type(exc).__name__}: {exc}")
        return 1

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        controller.request_cancel(f"the controller received {name}")

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)

    status = controller.run()
    return 0 if status is RunStatus.COMPLETED else 1


if __name__ == "__main__":
    sys.exit(main())
