"""Audit many repositories into a findings store: targets -> runner (local pool or Dask) -> store -> triage."""
