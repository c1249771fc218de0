"""Helpers for the scenario tests: the scenario examples on one network, run in virtual time."""
