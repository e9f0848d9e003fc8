"""Setu: a shared platform to sustain a two-party equipment fleet."""
__version__ = "0.1.0"
