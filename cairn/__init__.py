"""Cairn: a self-hostable OKR platform."""

__version__ = "0.1.0"
