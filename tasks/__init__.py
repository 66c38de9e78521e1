"""Prefect tasks: thin wrappers that give the archivist stages retries and result caching."""
