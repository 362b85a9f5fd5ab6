"""Counting the SQL statements a request sends, for the fixed-query-count tests of list pages."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def sql_statements(app):
    """The SQL statements sent to the app's database while the block runs."""
    engine = app.extensions["portal.engine"]
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def page_statements(app, client, url: str) -> list[str]:
    """The statements of one GET of `url`, which must answer 200."""
    with sql_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return statements


def count_queries(app, client, url: str) -> tuple[int, str]:
    """How many statements one GET of `url` sends, and their text for the failure message."""
    statements = page_statements(app, client, url)
    return len(statements), "\n".join(statements)
