"""A database password with any characters (issue 28, item 3): percent-encoded in
DATABASE_URL, or as it is in DATABASE_PASSWORD. Run on PostgreSQL only: a real role with
such a password logs in through the settings Django builds from the environment."""

from urllib.parse import quote

import psycopg
import pytest
from django.db import connection, connections
from django.db.backends.postgresql.base import DatabaseWrapper
from psycopg import sql

from .test_settings import settings_with

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="只在 PostgreSQL 上运行（设置 DATABASE_URL=postgres://…）",
)

PASSWORD = "Ke#y/with@all:4 chars"


def _superuser() -> dict:
    own = connection.settings_dict
    return {
        "dbname": own["NAME"],
        "user": own["USER"],
        "password": own["PASSWORD"],
        "host": own["HOST"],
        "port": own["PORT"],
    }


@pytest.fixture
def role(db):
    """A login role with PASSWORD, committed (the new connection must see it), then dropped."""
    name = "shequ_password_test"
    statement = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}")
    with psycopg.connect(**_superuser(), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(statement.format(sql.Identifier(name), sql.Literal(PASSWORD)))
    yield name
    with psycopg.connect(**_superuser(), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def _url(user: str, password: str = "") -> str:
    own = connection.settings_dict
    login = f"{user}:{password}" if password else user
    return f"postgres://{login}@{own['HOST']}:{own['PORT']}/{own['NAME']}"


def _logs_in_as(database: dict) -> str:
    """The role a connection made from these settings has (Django's own connection code)."""
    settings_dict = connections.configure_settings({"default": database})["default"]
    wrapper = DatabaseWrapper(settings_dict, alias="probe")
    # Trust authentication (CI) accepts any password: the one handed over is checked too.
    assert wrapper.get_connection_params()["password"] == PASSWORD
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT current_user")
            return cursor.fetchone()[0]
    finally:
        wrapper.close()


def test_a_percent_encoded_password_in_database_url_logs_in(role, tmp_path):
    url = _url(role, quote(PASSWORD, safe=""))
    assert "%23" in url and "%2F" in url and "%40" in url and "%3A" in url
    database = settings_with({"DATABASE_URL": url}, tmp_path)["db"]
    assert _logs_in_as(database) == role


def test_database_password_logs_in_without_encoding(role, tmp_path):
    environment = {"DATABASE_URL": _url(role, "stale"), "DATABASE_PASSWORD": PASSWORD}
    database = settings_with(environment, tmp_path)["db"]
    assert _logs_in_as(database) == role
