"""Command groups whose sub-commands are imported when they are called.

A command imports what it uses: `sagsflow case show` does not load the API
server, the scheduler, the letters' templates or the diagrams, and `sagsflow
--help` loads none of the commands. A group names each lazy sub-command by
where it lives and its one-line help (what `--help` lists without importing
it); tests/service/cli/test_startup.py checks the line is the command's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

import click


class Lazy:
    """Where a sub-command lives, and the line `--help` shows for it."""

    __slots__ = ("attribute", "help", "module")

    def __init__(self, module: str, attribute: str, help: str) -> None:
        self.module = module
        self.attribute = attribute
        self.help = help

    def load(self) -> click.Command:
        command = getattr(import_module(self.module), self.attribute)
        assert isinstance(command, click.Command), self.attribute
        return command


class LazyGroup(click.Group):
    """A group with sub-commands imported on first use (`lazy`)."""

    def __init__(
        self, *args: Any, lazy: Mapping[str, Lazy] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in self.lazy:
            return found
        command = self.lazy[cmd_name].load()
        self.add_command(command, cmd_name)
        return command

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        """The sub-commands and their lines, as click lists them, without
        importing the lazy ones."""
        found: list[tuple[str, click.Command | Lazy]] = []
        for name in self.list_commands(ctx):
            loaded = super().get_command(ctx, name)
            if loaded is not None and not loaded.hidden:
                found.append((name, loaded))
            elif loaded is None and name in self.lazy:
                found.append((name, self.lazy[name]))
        if not found:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in found)
        rows = [
            (
                name,
                command.get_short_help_str(limit)
                if isinstance(command, click.Command)
                else click.Command(name, help=command.help).get_short_help_str(limit),
            )
            for name, command in found
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
