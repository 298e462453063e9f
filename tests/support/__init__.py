"""Helpers shared by the test suites: process launching and generated models."""
