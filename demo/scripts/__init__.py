"""One script per bundled workflow: how a demo case of it is played."""
