"""The ``hypersweep`` command line."""

from __future__ import annotations

import logging
import sys

import click

from hypersweep.cli._common import error_console
from hypersweep.errors import HyperSweepError

__all__ = ["cli", "main"]

EXIT_INVALID_INPUT = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hypersweep")
def cli() -> None:
    """Tune the hyperparameters of a training script."""


def _register() -> None:
    from hypersweep.cli import (
        best,
        cancel,
        dashboard,
        list_sweeps,
        logs,
        preview,
        report,
        resume,
        run,
        show,
    )

    for module in (run, preview, list_sweeps, show, best, cancel, logs, resume, dashboard,
                   report):
        cli.add_command(module.command)


_register()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; errors about input print one line and exit with status 2."""
    logging.getLogger("hypersweep").addHandler(logging.NullHandler())
    try:
        result = cli.main(args=argv, prog_name="hypersweep", standalone_mode=False)
    except click.exceptions.Abort:
        error_console.print("aborted")
        return 130
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "hypersweep"
        error_console.print(f"error: {exc.format_message()} (see '{command} --help')",
                            markup=False)
        return EXIT_INVALID_INPUT
    except click.ClickException as exc:
        error_console.print(f"error: {exc.format_message()}", markup=False)
        return exc.exit_code
    except HyperSweepError as exc:
        error_console.print(f"error: {exc}", markup=False)
        return EXIT_INVALID_INPUT
    except KeyboardInterrupt:
        error_console.print("interrupted")
        return 130

    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
