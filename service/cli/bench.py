"""`sagsflow bench`: the benchmarks of `bench/`, from the command line.

The same program as `python -m bench`: the arguments are passed on untouched,
so `sagsflow bench W2 --quick` is `python -m bench W2 --quick`. The `bench`
package ships with the source (an install from a checkout has it).
"""

from __future__ import annotations

import click


@click.command(
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    """Measure sagsflow against the naive way and the raw database.

    [W1|W2|W3|W4|all] [--quick] [--runs N] [--sizes N,N]; `sagsflow bench -h`
    explains each.
    """
    from bench.__main__ import main  # imported here: the CLI starts fast

    raise SystemExit(main(list(args), prog="sagsflow bench"))
