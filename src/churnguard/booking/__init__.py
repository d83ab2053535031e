"""Offering call times and building the calendar invite."""

from churnguard.booking.invite import build_invite, propose_slots

__all__ = ["build_invite", "propose_slots"]
