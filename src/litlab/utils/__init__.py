"""Small helpers shared by the CLI entry points and the tasks."""
