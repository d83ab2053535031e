"""A self-contained demonstration: generated accounts, simulated customers, simulated days."""

from churnguard.demo.run import DemoSummary, run_demo

__all__ = ["DemoSummary", "run_demo"]
