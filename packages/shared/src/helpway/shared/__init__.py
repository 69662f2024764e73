"""Helpway's wire protocol, shared by the widget, the console and the edge.

`frames` and `rest` hold the pydantic models (the single source of truth); `wire` is the
MicroPython-safe codec the browser apps run, driven by `wire_spec`, which is generated from the
models by `spec_export` so the two validators cannot drift.
"""
