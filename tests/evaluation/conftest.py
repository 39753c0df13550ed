"""Evaluation suite fixtures: which stack to check, and how.

Runs on the controller; reaches the VM through testinfra (ansible://, ssh://,
docker:// ...). The login, domain and project directory come from the
host's inventory variables (inception_login, inception_domain,
inception_project_dir) when testinfra's ansible backend is used, else from
the command-line options below.
"""

import base64
import io
import os
import sys
import tarfile

import pytest

from report import Report
from stack import Browser, Site, env_value, mariadb_query

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "roles", "inception_project", "module_utils"))

# Markers that change the stack, each behind its own opt-in flag.
OPT_IN = {
    "destructive": ("--destructive", "kills, wipes, rebuilds and reconfigures the stack"),
    "reboot": ("--reboot", "reboots the VM"),
}


def pytest_addoption(parser):
    group = parser.getgroup("inception", "Inception evaluation")
    group.addoption("--login", help="42 login (default: the host's inception_login)")
    group.addoption("--domain", help="site domain (default: <login>.42.fr)")
    group.addoption("--project-dir", help="rendered project (default: /home/<login>/inception)")
    group.addoption("--https-port", type=int, help="host port of nginx (default: 443)")
    group.addoption("--site-title", help="title the front page must show (default: inception_project_site_title)")
    group.addoption("--destructive", action="store_true", default=False,
                    help="also run checks that kill, wipe, rebuild or reconfigure the stack (off by default)")
    group.addoption("--reboot", action="store_true", default=False,
                    help="also reboot the VM to check persistence (off by default)")
    group.addoption("--report", metavar="FILE.md", help="also write the evaluation report as Markdown")


def pytest_configure(config):
    for marker, (flag, what) in OPT_IN.items():
        config.addinivalue_line("markers", "%s: %s; needs %s" % (marker, what, flag))
    config.pluginmanager.register(Report(config), "inception-report")


def pytest_collection_modifyitems(config, items):
    # Checks that change the stack run after everything that only looks; tests from
    # elsewhere in the same session (Molecule adds tests/defects) come after the suite.
    here = os.path.dirname(os.path.realpath(__file__))
    items.sort(key=lambda item: (os.path.dirname(os.path.realpath(str(item.path))) != here,
                                 any(m in item.keywords for m in OPT_IN)))
    for marker, (flag, what) in OPT_IN.items():
        if config.getoption(flag):
            continue
        skip = pytest.mark.skip(reason="%s: pass %s to run it" % (what, flag))
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


def _inventory_vars(host):
    try:
        return host.ansible.get_variables()
    except (AttributeError, RuntimeError, NotImplementedError):
        return {}


def _unrendered(value):
    return value is None or "{{" in str(value)


@pytest.fixture(scope="module")
def site(host, request):
    opt = request.config.getoption
    inventory = _inventory_vars(host)
    login = opt("--login") or inventory.get("inception_login")
    if not login:
        pytest.fail("no login: pass --login or run through an inventory that sets inception_login")
    domain = opt("--domain") or inventory.get("inception_domain")
    project = opt("--project-dir") or inventory.get("inception_project_dir")
    port = opt("--https-port") or int(inventory.get("inception_project_https_port", 443))
    title = opt("--site-title") or inventory.get("inception_project_site_title") or "Inception"
    return Site(login=login,
                domain="%s.42.fr" % login if _unrendered(domain) else domain,
                project="/home/%s/inception" % login if _unrendered(project) else project,
                https_port=port, title=title)


@pytest.fixture
def sql(host):
    return lambda statement: mariadb_query(host, statement)


@pytest.fixture
def figure(request):
    """figure(name, value): a measured figure for the report and the JUnit XML."""
    report = request.config.pluginmanager.get_plugin("inception-report")

    def record(name, value):
        report.record(request.node, name, value)
        request.node.user_properties.append((name, value))
    return record


@pytest.fixture
def browser(host, site):
    client = Browser(host, site)
    yield client
    client.close()


@pytest.fixture(scope="module")
def accounts(host, site):
    """The WordPress administrator and second user: names from srcs/.env,
    passwords as files on the VM (secrets/)."""
    return {
        "admin": (env_value(host, site, "WP_ADMIN_USER"), site.secret_file("wp_admin_password")),
        "user": (env_value(host, site, "WP_USER"), site.secret_file("wp_user_password")),
    }


@pytest.fixture(scope="module")
def project_tree(host, site, tmp_path_factory):
    """A local copy of the project as it is on the VM, without the contents of
    secrets/ (the directory itself stays, so the linter checks it is ignored)."""
    with host.sudo():
        out = host.run("tar -C %s --exclude='./secrets/*' -czf - . | base64 -w0", site.project)
    assert out.rc == 0, "cannot read the project %s: %s" % (site.project, out.stderr)
    root = tmp_path_factory.mktemp("project")
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(out.stdout)), mode="r:gz") as archive:
        archive.extractall(root, filter="data")
    return str(root)
