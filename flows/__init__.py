"""Prefect flows that compose the archivist tasks."""
