"""Benchmarks for sagsflow: `python -m bench [W1|W3|all] [--quick]`.

W1 drives cases through the ombudsman-inquiry lifecycle and compares sagsflow
with the plain `sqlite3` floor and the naive machine-per-case + ORM pattern.
W3 measures the peak RSS of a process driving many cases, one subprocess per size.
"""

from __future__ import annotations
