"""Shared by the role scenarios' checks (molecule/*/tests), alone or run inside fleet."""

import pytest


@pytest.fixture(scope="module")
def login(host):
    """The host's inventory inception_login."""
    return host.ansible.get_variables()["inception_login"]
