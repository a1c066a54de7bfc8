"""The state tests' stores: every provisioning state test runs on SQLite and PostgreSQL."""

from tests.state.conftest import clock, open_store, postgres_database, state_url, store

__all__ = ["clock", "open_store", "postgres_database", "state_url", "store"]
