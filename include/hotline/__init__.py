"""Warehouse for 12345 hotline daily dumps."""

__version__ = "0.1.0"
