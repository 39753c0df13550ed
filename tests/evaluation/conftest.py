"""Evaluation suite fixtures: which stack to check, and how.

Runs on the controller; reaches the VM through testinfra (ansible://, ssh://,
docker:// ...). The login, domain and project directory come from the
host's inventory variables (inception_login, inception_domain,
inception_project_dir) when testinfra's ansible backend is used, else from
the command-line options below.
"""

import pytest

from stack import Site, mariadb_query


def pytest_addoption(parser):
    group = parser.getgroup("inception", "Inception evaluation")
    group.addoption("--login", help="42 login (default: the host's inception_login)")
    group.addoption("--domain", help="site domain (default: <login>.42.fr)")
    group.addoption("--project-dir", help="rendered project (default: /home/<login>/inception)")
    group.addoption("--https-port", type=int, help="host port of nginx (default: 443)")
    group.addoption("--site-title", help="title the front page must show (default: inception_project_site_title)")
    group.addoption("--destructive", action="store_true", default=False,
                    help="also run checks that wipe Docker and rebuild (off by default)")


def pytest_configure(config):
    config.addinivalue_line("markers", "destructive: wipes and rebuilds the stack; needs --destructive")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--destructive"):
        return
    skip = pytest.mark.skip(reason="destructive check: pass --destructive to run it")
    for item in items:
        if "destructive" in item.keywords:
            item.add_marker(skip)


def _inventory_vars(host):
    try:
        return host.ansible.get_variables()
    except (AttributeError, RuntimeError, NotImplementedError):
        return {}


@pytest.fixture(scope="module")
def site(host, request):
    opt = request.config.getoption
    inventory = _inventory_vars(host)
    login = opt("--login") or inventory.get("inception_login")
    if not login:
        pytest.fail("no login: pass --login or run through an inventory that sets inception_login")
    domain = opt("--domain") or inventory.get("inception_domain") or "%s.42.fr" % login
    if "{{" in domain:
        domain = "%s.42.fr" % login
    project = opt("--project-dir") or inventory.get("inception_project_dir") or "/home/%s/inception" % login
    if "{{" in project:
        project = "/home/%s/inception" % login
    port = opt("--https-port") or int(inventory.get("inception_project_https_port", 443))
    title = opt("--site-title") or inventory.get("inception_project_site_title") or "Inception"
    return Site(login=login, domain=domain, project=project, https_port=port, title=title)


@pytest.fixture
def sql(host):
    return lambda statement: mariadb_query(host, statement)
