"""Orchestration: starting sequences, advancing steps, sending exactly once, acting on replies."""
