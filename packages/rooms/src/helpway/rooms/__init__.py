"""Helpway conversation rooms: the pure room state machine and its hosts."""
