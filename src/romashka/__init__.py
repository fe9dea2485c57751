"""Romashka: a customer-relationship system for service and retail networks."""

__version__ = "0.1.0"
