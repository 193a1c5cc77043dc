"""Monitoring: daily clearing (日产日清), plant load, deadlines, alerts and their outbox, job runs.

The checks are plain service functions over the projections; ``jobs/`` schedules them and delivers the outbox,
routes/ and the CLI call the same functions. Nothing here performs network I/O.
"""
