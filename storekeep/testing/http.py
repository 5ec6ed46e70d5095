"""HTTP helpers for tests."""

from __future__ import annotations


def csv_text(response) -> str:
    """The body of a CSV response as text, streamed or buffered."""
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")
