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
import re
import shlex
import sys
import tarfile
import time

import pytest

from chromium import Chromium, Tunnel, curl_jar_cookies, reach, tls_page
from discover import COMPOSE_FILES, Discovery, HostTree, project_from_compose_ls
from report import Report, _scale_order
from stack import Browser, Site, cannot_decide, mariadb_query

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
    group.addoption("--report", metavar="FILE.md|FILE.html", action="append", default=[],
                    help="also write the evaluation report: Markdown, or by the .html extension one "
                         "self-contained HTML page with screenshots (repeatable)")
    group.addoption("--no-screenshots", action="store_true", default=False,
                    help="HTML report without screenshots (no Chromium needed)")


def pytest_configure(config):
    for marker, (flag, what) in OPT_IN.items():
        config.addinivalue_line("markers", "%s: %s; needs %s" % (marker, what, flag))
    config.addinivalue_line("markers", "by_hand(command): how to check the same by hand on the VM "
                                       "({login} {domain} {project} {url} {https_port} {compose} and the "
                                       "test's parameters are filled in)")
    config.pluginmanager.register(Report(config), "inception-report")


def pytest_collection_modifyitems(config, items):
    # Checks that change the stack run after everything that only looks; tests from
    # elsewhere in the same session (Molecule adds tests/defects) come after the suite.
    # Within each, the scale's order (test_10_bonus.py sorts before test_1_* by name).
    here = os.path.dirname(os.path.realpath(__file__))
    items.sort(key=lambda item: (os.path.dirname(os.path.realpath(str(item.path))) != here,
                                 any(m in item.keywords for m in OPT_IN),
                                 _scale_order(getattr(item.module, "SECTION", "")) if item.module else (999, "")))
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


def _exists(host, test, path):
    """test -d/-f path on the VM, as the user, else as root."""
    if host.run("test %s %s", test, path).rc == 0:
        return True
    with host.sudo():
        return host.run("test %s %s", test, path).rc == 0


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
    project = "/home/%s/inception" % login if _unrendered(project) else project
    if not opt("--project-dir") and not _exists(host, "-d", project + "/srcs"):
        # not where we put it: where docker compose says the running stack came from
        found = project_from_compose_ls(host.run("docker compose ls --all --format json").stdout)
        project = found[0] if found else project
    compose = next((rel for rel in COMPOSE_FILES if _exists(host, "-f", "%s/%s" % (project, rel))), COMPOSE_FILES[0])
    return Site(login=login,
                domain="%s.42.fr" % login if _unrendered(domain) else domain,
                project=project, https_port=port, title=title, compose_file=compose)


@pytest.fixture(autouse=True)
def _by_hand(request):
    """Hand the report the check's by_hand command, filled in for this stack."""
    marker = request.node.get_closest_marker("by_hand")
    report = request.config.pluginmanager.get_plugin("inception-report")
    if marker is None or report is None:
        return
    values = {k: str(v) for k, v in getattr(getattr(request.node, "callspec", None), "params", {}).items()
              if not k.startswith("_")}
    site = None
    if "_testinfra_host" in request.fixturenames:  # the check runs against a host
        host = request.getfixturevalue("host")
        report.record_reach(request.node, reach(host))
        try:
            site = request.getfixturevalue("site")
        except (Exception, pytest.fail.Exception, pytest.skip.Exception):
            pass
    if site is not None:
        values.update({k: str(v) for k, v in site._asdict().items()}, url=site.url, compose=site.compose)
        if "{db_" in marker.args[0]:
            db = request.getfixturevalue("discovery").account("db")
            values.update({k: v for k, v in (("db_user", db.name), ("db_name", db.database),
                                             ("db_password", db.password and str(db.password))) if v})
    report.record_by_hand(request.node, re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)),
                                               marker.args[0]))


@pytest.fixture(scope="module")
def discovery(host, site):
    """What the stack's files say: account names, where each password is (discover.py)."""
    if not _exists(host, "-d", site.project):
        cannot_decide("no project at %s (and docker compose ls names none): pass --project-dir" % site.project)
    return Discovery(HostTree(host, site.project), site.project)


@pytest.fixture
def sql(host, discovery):
    """sql(statement): run it as the database's app user, found in srcs/.env and secrets/."""
    account = discovery.account("db")
    if not account.complete:
        cannot_decide(account.why)
    return lambda statement: mariadb_query(host, statement, account)


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


class Accounts(dict):
    """accounts["admin"|"user"] -> (name, password Secret); a check that needs
    an account its stack does not reveal ends as "cannot decide"."""

    def __getitem__(self, role):
        account = dict.__getitem__(self, role)
        if not account.complete:
            cannot_decide(account.why)
        return account.name, account.password


@pytest.fixture(scope="module")
def accounts(discovery):
    """The WordPress administrator and second user: names from srcs/.env,
    passwords where secrets/ (or the compose file) says."""
    return Accounts(admin=discovery.account("admin"), user=discovery.account("user"))


@pytest.fixture(scope="session")
def _chromiums():
    """One tunnel + Chromium per (host, port), or why there is none."""
    pool = {}
    yield pool
    for entry in pool.values():
        if not isinstance(entry, str):
            entry[1].close()
            entry[0].close()


class Screenshots:
    """Pages as headless Chromium shows them, for the HTML report. Never fails
    a check: a page that cannot be shot gets a note in the report instead."""

    def __init__(self, report, item, host, site, pool):
        self.report, self.item, self.host, self.site, self.pool = report, item, host, site, pool

    @property
    def wanted(self):
        return self.report is not None and self.report.wants_screenshots

    def _chromium(self):
        key = (self.host.backend.get_pytest_id(), self.site.https_port)
        if key not in self.pool:
            tunnel = None
            try:
                tunnel = Tunnel(self.host, self.site.https_port)
                self.pool[key] = (tunnel, Chromium(tunnel.port))
            except Exception as error:
                if tunnel is not None:
                    tunnel.close()
                self.pool[key] = str(error)
        if isinstance(self.pool[key], str):
            raise RuntimeError(self.pool[key])
        return self.pool[key][1]

    def page(self, caption, url, browser=None):
        """url as a visitor sees it, or with browser's (stack.Browser) session."""
        if not self.wanted:
            return None
        try:
            cookies = curl_jar_cookies(browser.cookie_jar(), self.site.url) if browser else ()
            try:
                shot = self._chromium().shoot(url, cookies)
            except RuntimeError:  # once more: a stack just (re)started can miss the first connection
                time.sleep(3)
                shot = self._chromium().shoot(url, cookies)
        except Exception as error:
            self.report.record_shot(self.item, caption, note=str(error)[:300])
            return None
        self.report.record_shot(self.item, caption, shot)
        return shot

    def tls(self, caption):
        """The certificate and TLS details: Chromium's view of the site, and openssl's on the VM."""
        if not self.wanted:
            return None
        try:
            chromium = self._chromium()
            seen = chromium.shoot(self.site.url, settle=0)
            connect = "echo | openssl s_client -connect 127.0.0.1:%d -servername %s" % (
                self.site.https_port, shlex.quote(self.site.domain))
            openssl = self.host.run("%s -brief 2>&1 | grep -v '^DONE'; %s 2>/dev/null | openssl x509 -noout "
                                    "-subject -issuer -dates -ext subjectAltName -fingerprint -sha256"
                                    % (connect, connect)).stdout
            shot = chromium.shoot_html(tls_page(self.site.domain, self.site.url, seen.security, openssl))
            shot = shot._replace(url="%s (as seen by Chromium and openssl)" % self.site.url)
        except Exception as error:
            self.report.record_shot(self.item, caption, note=str(error)[:300])
            return None
        self.report.record_shot(self.item, caption, shot)
        return shot


@pytest.fixture
def screenshot(request, host, site, _chromiums):
    """screenshot.page(caption, url[, browser]) / screenshot.tls(caption): for the HTML report."""
    return Screenshots(request.config.pluginmanager.get_plugin("inception-report"), request.node, host, site,
                       _chromiums)


@pytest.fixture(scope="module")
def project_tree(host, site, tmp_path_factory):
    """A local copy of the project as it is on the VM, without the contents of
    secrets/ (the directory itself stays, so the linter checks it is ignored)."""
    if not _exists(host, "-d", site.project):
        cannot_decide("no project at %s (and docker compose ls names none): pass --project-dir" % site.project)
    with host.sudo():
        out = host.run("tar -C %s --exclude='./secrets/*' -czf - . | base64 -w0", site.project)
    assert out.rc == 0, "cannot read the project %s: %s" % (site.project, out.stderr)
    root = tmp_path_factory.mktemp("project")
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(out.stdout)), mode="r:gz") as archive:
        archive.extractall(root, filter="data")
    return str(root)
