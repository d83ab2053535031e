"""The state store: SQLAlchemy models, engine setup and migrations."""
