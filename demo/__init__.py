"""The demo office: a realistic synthetic office for newcomers, benchmarks and tests.

`generate_office(url_or_store, cases=N, seed=S, start=DATE)` makes one of any
size (`office`); `stories` plans its cases, `simulation` plays the year through
the engine, `summary` counts what was made, `database` decides what
`sagsflow demo` may touch, `sink` is the mail sink of `sagsflow demo --serve`.
"""

from __future__ import annotations

from demo.office import DEFAULT_CASES, DEFAULT_SEED, Office, generate_office

__all__ = ["DEFAULT_CASES", "DEFAULT_SEED", "Office", "generate_office"]
