"""Read inbound email: who sent it, what they wrote, and what it means.

This package turns raw message bytes into a reading. It never sends mail and never touches
the database.
"""
