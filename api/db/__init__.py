"""Persistence: SQLAlchemy 2 + GeoAlchemy2 models, sessions, spatial queries, Alembic migrations."""
