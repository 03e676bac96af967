"""Alembic environment: the URL comes from Herald's settings, never from alembic.ini."""

from alembic import context
from sqlalchemy import create_engine, pool

from backend.core.config import get_settings
from backend.db.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().require_urls()[1]
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
