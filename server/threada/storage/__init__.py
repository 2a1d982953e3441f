"""Storage: SQLAlchemy 2 Core tables, queries and Alembic migrations.

Imports no web framework. Times are integer epoch milliseconds.
"""
