"""Fixtures of the default scenario's tests (they run on the VM through testinfra)."""

import pytest
from stack import mariadb_query


@pytest.fixture
def sql(host):
    return lambda statement: mariadb_query(host, statement)
