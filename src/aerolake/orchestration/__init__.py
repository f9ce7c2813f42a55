"""Wiring of stages into jobs: each function here is what one CLI command or DAG task runs."""
