"""What the evaluation suite's tests share: the stack under test and how to reach it.

Everything runs on the VM through testinfra's ``host``, with tools a Debian VM
with Docker has (sh, curl, openssl, docker); nothing is installed there.
"""

import json
import re
import shlex
import time
from collections import namedtuple

import pytest

SERVICES = ("nginx", "wordpress", "mariadb")


def project_networks_of(host, container):
    """The networks a container is on, each with what it is: "project" (one the compose
    file declares), "default" (the one compose makes when a service names none), or the
    engine's own ("host", "bridge", "none")."""
    networks = json.loads(host.check_output("docker inspect -f '{{json .NetworkSettings.Networks}}' %s", container))
    kinds = {}
    for name in networks:
        if name in ("host", "bridge", "none"):
            kinds[name] = name
            continue
        key = host.check_output("docker network inspect -f '{{index .Labels \"com.docker.compose.network\"}}' %s",
                                name)
        kinds[name] = "default" if key in ("", "default") else "project"
    return kinds


def cannot_decide(why):
    """End the check with its own outcome: what it needs is not where the
    subject puts it (nor anywhere else we looked), so it can neither pass nor fail."""
    pytest.skip("cannot decide: %s" % why)


class Site(namedtuple("Site", "login domain project https_port title compose_file",
                      defaults=("srcs/docker-compose.yml",))):
    """The Inception stack under test."""

    @property
    def url(self):
        port = "" if self.https_port == 443 else ":%d" % self.https_port
        return "https://%s%s/" % (self.domain, port)

    @property
    def compose(self):
        return "docker compose -f %s/%s" % (self.project, self.compose_file)

    @property
    def data_dir(self):
        return "/home/%s/data" % self.login

    def secret_file(self, name):
        return "%s/secrets/%s.txt" % (self.project, name)


# Reads the app user's password inside the container; the SQL comes on stdin, so
# nothing needs quoting twice and the password never appears on a command line.
_MARIADB = 'MYSQL_PWD=$(cat /run/secrets/db_password) exec mariadb -u"$MYSQL_USER" -N "$MYSQL_DATABASE"'


# The same with what discover.py found: the password comes from the VM's secret
# file on stdin (first line), user and database as arguments; mariadb, else mysql.
_MARIADB_STDIN = ('IFS= read -r MYSQL_PWD; export MYSQL_PWD; '
                  'exec "$(command -v mariadb || command -v mysql)" -u"$1" -N "$2"')


def mariadb_query(host, sql, account=None):
    """Run sql as the app user in the mariadb container: as the container's own
    environment says (account None), or as discover.Account says."""
    if account is None:
        return host.run("printf '%%s\\n' %s | docker exec -i mariadb sh -c %s", sql, _MARIADB)
    command = "{ printf '%%s\\n' \"$(%s)\"; printf '%%s\\n' %s; } | docker exec -i mariadb sh -c %s sh %s %s" % (
        account.password.shell(), shlex.quote(sql), shlex.quote(_MARIADB_STDIN),
        shlex.quote(account.name), shlex.quote(account.database))
    with host.sudo():
        return host.run(command)


def volume_device(host, volume):
    """The directory a named volume is bound to (its driver_opts device), or None."""
    return json.loads(host.check_output("docker volume inspect %s", volume))[0].get("Options", {}).get("device")


def fetch(host, url):
    return host.run("curl -ksS --max-time 20 %s", url)


def env_value(host, site, key):
    """A value of srcs/.env (the project's non-secret settings)."""
    with host.sudo():
        text = host.file("%s/srcs/.env" % site.project).content_string
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == key:
            return value.strip().strip("'\"")
    raise AssertionError("%s is not set in %s/srcs/.env" % (key, site.project))


def handshake(host, site, version):
    """openssl s_client with exactly one protocol version. Old versions need
    @SECLEVEL=0 on the client, or the client itself refuses to offer them and
    a server that accepts them would go unnoticed."""
    command = "echo | openssl s_client -connect 127.0.0.1:%s -servername %s -%s"
    if version not in ("tls1_2", "tls1_3"):
        command += " -cipher DEFAULT:@SECLEVEL=0"
    return host.run(command, str(site.https_port), site.domain, version)


def compose_rows(host, site):
    """The rows of `docker compose ps --all` (one JSON object per container)."""
    out = host.run("%s ps --all --format json" % site.compose)
    if out.rc != 0:
        raise AssertionError("docker compose ps failed: %s" % out.stderr.strip())
    rows = []
    for line in out.stdout.splitlines():
        if line.strip():
            row = json.loads(line)
            rows.extend(row if isinstance(row, list) else [row])
    return rows


def compose_states(host, site):
    """{service: (state, health)} from `docker compose ps`."""
    return {row["Service"]: (row["State"], row.get("Health") or "") for row in compose_rows(host, site)}


def compose_containers(host, site):
    """{service: container name} of the stack's containers, running or not."""
    return {row["Service"]: row["Name"] for row in compose_rows(host, site)}


def wait_until_healthy(host, site, services=SERVICES, timeout=300):
    deadline = time.time() + timeout
    states = {}
    while time.time() < deadline:
        states = compose_states(host, site)
        if all(states.get(s) == ("running", "healthy") for s in services):
            break
        time.sleep(2)
    return {s: states.get(s) for s in services}


def wait_for_page(host, url, needle, timeout=300):
    """The page at url once it contains needle (or the last page seen)."""
    deadline = time.time() + timeout
    page = ""
    while time.time() < deadline:
        page = host.run("curl -ksS --max-time 10 %s", url).stdout
        if needle in page:
            break
        time.sleep(3)
    return page


Response = namedtuple("Response", "status location body")


class Browser:
    """A cookie-keeping HTTPS client running curl on the VM, by name, like a
    browser there would. Passwords are read from the secret files on the VM
    (so it runs as root through sudo) and reach curl on stdin, never on a
    command line or in the test output."""

    def __init__(self, host, site):
        self.host = host
        self.site = site
        with host.sudo():
            self.jar = host.check_output("mktemp /tmp/inception-browser.XXXXXX")

    def close(self):
        with self.host.sudo():
            self.host.run("rm -f %s", self.jar)

    def cookie_jar(self):
        """The session's cookies (curl's jar), to show a logged-in page in Chromium."""
        with self.host.sudo():
            return self.host.file(self.jar).content_string

    def request(self, path, data=None, secret=None, headers=()):
        """GET path, or POST data (a list of (name, value)); secret = (name,
        password) adds that field with the password: a file on the VM, or a
        discover.Secret (a file, or a KEY= line in it)."""
        argv = ["curl", "-ksS", "--max-time", "60", "-b", self.jar, "-c", self.jar,
                "-w", "\n%{http_code} %{redirect_url}"]
        for name, value in data or ():
            argv += ["--data-urlencode", "%s=%s" % (name, value)]
        for header in headers:
            argv += ["-H", header]
        url = path if path.startswith("https://") else self.site.url + path.lstrip("/")
        command = " ".join(shlex.quote(a) for a in argv + [url])
        if secret:
            name, password = secret
            reader = password.shell() if hasattr(password, "shell") else "cat %s" % shlex.quote(password)
            command = 'printf %%s "$(%s)" | %s --data-urlencode %s' % (reader, command, shlex.quote(name + "@-"))
        with self.host.sudo():
            out = self.host.run(command)
        if out.rc != 0:
            raise AssertionError("curl %s failed: %s" % (url, out.stderr.strip()))
        body, _, tail = out.stdout.rpartition("\n")
        status, _, location = tail.partition(" ")
        return Response(int(status), location.strip(), body)

    def log_in(self, user, password_file):
        """password_file: a file on the VM, or a discover.Secret."""
        self.request("wp-login.php")  # sets WordPress's test cookie
        response = self.request("wp-login.php", data=[
            ("log", user), ("wp-submit", "Log In"), ("testcookie", "1"),
            ("redirect_to", self.site.url + "wp-admin/")], secret=("pwd", password_file))
        return response

    def rest_nonce(self):
        response = self.request("wp-admin/admin-ajax.php?action=rest-nonce")
        assert response.status == 200 and re.fullmatch(r"[0-9a-f]{6,}", response.body.strip()), \
            "no REST nonce for the logged-in user (HTTP %d)" % response.status
        return response.body.strip()

    def upload(self, route, path_on_vm, filename, mime, nonce):
        """POST a file of the VM as the raw body of a REST request (e.g. /wp/v2/media)."""
        argv = ["curl", "-ksS", "--max-time", "60", "-b", self.jar, "-c", self.jar, "-w", "\n%{http_code}",
                "-H", "X-WP-Nonce: %s" % nonce, "-H", "Content-Type: %s" % mime,
                "-H", "Content-Disposition: attachment; filename=%s" % filename,
                "--data-binary", "@" + path_on_vm, self.site.url + "?rest_route=" + route]
        with self.host.sudo():
            out = self.host.run(" ".join(shlex.quote(a) for a in argv))
        if out.rc != 0:
            raise AssertionError("upload to %s failed: %s" % (route, out.stderr.strip()))
        body, _, status = out.stdout.rpartition("\n")
        try:
            return int(status), json.loads(body)
        except ValueError:
            raise AssertionError("%s answered HTTP %s, not JSON: %s" % (route, status, body[:200]))

    def rest(self, route, data=None, nonce=None):
        headers = ["X-WP-Nonce: %s" % nonce] if nonce else []
        response = self.request("?rest_route=%s" % route, data=data, headers=headers)
        try:
            return response.status, json.loads(response.body)
        except ValueError:
            raise AssertionError("%s answered HTTP %d, not JSON: %s" % (route, response.status, response.body[:200]))


# ---------------------------------------------------------------------- bonus services
BONUS = ("redis", "ftp", "website", "adminer", "monitoring")
# Containers the monitoring bonus adds next to Prometheus (redis-exporter only with redis).
EXPORTERS = ("node-exporter", "nginx-exporter", "mysqld-exporter", "redis-exporter")
# Bonus services nginx serves on the HTTPS port, at <name>.<domain>.
BONUS_WEB = ("website", "adminer", "monitoring")


def compose_services(host, site):
    """The services of the stack's compose file (what the stack is meant to run)."""
    with host.sudo():
        out = host.run("%s config --services" % site.compose)
    if out.rc != 0:
        raise AssertionError("docker compose config failed: %s" % out.stderr.strip()[-500:])
    return out.stdout.split()


def bonus_url(site, name, path=""):
    port = "" if site.https_port == 443 else ":%d" % site.https_port
    return "https://%s.%s%s/%s" % (name, site.domain, port, path.lstrip("/"))


def curl_with_secret(user, password_file, argv):
    """A shell command: curl with user:password from a file on the VM, given on stdin
    (curl -K -), never on a command line."""
    return ("printf 'user = \"%s:%%s\"\\n' \"$(sed 's/[\\\\\"]/\\\\&/g' %s | tr -d '\\n')\" | curl -K - %s"
            % (user, shlex.quote(password_file), " ".join(shlex.quote(a) for a in argv)))
