"""Shared test support: factories and pytest fixtures (loaded by the root conftest)."""
