"""``hypersweep preview``: the configurations a sweep would try first."""

from __future__ import annotations

import click
from rich.table import Table
from rich.text import Text

from hypersweep.cli._common import console, error_console
from hypersweep.config import load_sweep_file

__all__ = ["command"]


@click.command("preview")
@click.argument("sweep_file", type=click.Path(dir_okay=False))
@click.option("-n", "count", type=click.IntRange(min=1), default=10, show_default=True,
              help="Number of configurations to print.")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a field of the sweep file.")
def command(sweep_file: str, count: int, overrides: tuple[str, ...]) -> int:
    """Print the first configurations that SWEEP_FILE's sampling would try."""
    sweep = load_sweep_file(sweep_file, overrides)
    for notice in sweep.notices:
        error_console.print(f"notice: {notice}", markup=False)

    sampling = sweep.config.hyperparameter_sampling
    configurations = sampling.preview(count)
    names = list(sampling.space.names)

    console.print(f"first {len(configurations)} configurations", markup=False)
    table = Table()
    table.add_column("#", justify="right")
    for name in names:
        table.add_column(Text(name))
    for index, configuration in enumerate(configurations):
        table.add_row(str(index), *(Text(repr(configuration[name])) for name in names))
    console.print(table)

    size = sampling.space_size
    console.print(f"distinct configurations: {size if size is not None else 'unbounded'}")
    return 0
