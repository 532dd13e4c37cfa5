"""Tanggap 112: a city's emergency and complaint line (Indonesia's 112), end to end."""

__version__ = "0.1.0"
