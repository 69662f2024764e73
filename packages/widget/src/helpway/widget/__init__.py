"""Helpway widget and agent console: loader, Python apps and their asset build."""
