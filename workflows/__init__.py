"""The bundled workflow declarations: one YAML file a workflow.

Nothing here but data; `engine.workflow.registry` loads and validates the files.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def bundled_paths() -> list[Path]:
    """The paths of the bundled workflow files, sorted by name."""
    folder = Path(str(files(__name__)))
    return sorted(folder.glob("*.yaml"))
