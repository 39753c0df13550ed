"""Where a student's stack keeps what the suite needs: the project directory,
its compose file, the WordPress and database account names, and where each
password is (never the password itself: a ``Secret`` is a file on the VM and
optionally a KEY= line in it, read by a shell on the VM, passed on stdin).

The subject's layout comes first (``srcs/.env`` for names, ``secrets/*.txt``
for passwords, as this project renders it), then what students commonly do
instead: other key names (``WORDPRESS_ADMIN_USER``, ``MYSQL_PASSWORD_FILE=
/run/secrets/x`` pointing at a compose secret), other file names
(``secrets/admin_pw.txt``), ``KEY=value`` lines in ``secrets/credentials.txt``,
and as a last resort a password in ``.env`` itself. When nothing fits, the
answer says what was looked for, so the check reports "cannot decide: ..."
instead of failing obscurely.

Pure functions over a ``Tree`` (the project as files): ``LocalTree`` for a
directory on this machine (unit tests), ``HostTree`` for the VM (testinfra).
"""

import json
import posixpath
import re
import shlex
from collections import OrderedDict, namedtuple

import yaml

COMPOSE_FILES = ("srcs/docker-compose.yml", "srcs/docker-compose.yaml", "srcs/compose.yml", "srcs/compose.yaml")
KEY_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
NOT_A_PASSWORD = (".pem", ".key", ".crt", ".csr", ".cert")


class Secret(namedtuple("Secret", "path key")):
    """A password on the VM: the whole file at path, or its KEY= line."""

    def shell(self):
        """A shell snippet printing the password (run on the VM, as root)."""
        if self.key is None:
            return "cat %s" % shlex.quote(self.path)
        return ("sed -n %s %s | head -n 1 | sed %s" % (
            shlex.quote(r"s/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}%s[[:space:]]*=[[:space:]]*//p" % self.key),
            shlex.quote(self.path), shlex.quote("s/^[\"']//; s/[\"'][[:space:]]*$//")))

    def __str__(self):
        return self.path if self.key is None else "%s (line %s=)" % (self.path, self.key)


class Account(namedtuple("Account", "name password database why")):
    """name/database: str or None; password: Secret or None; why: what is missing."""

    @property
    def complete(self):
        return not self.why


def parse_env(text):
    values = OrderedDict()
    for line in (text or "").splitlines():
        if line.lstrip().startswith("#"):
            continue
        found = KEY_LINE.match(line)
        if found:
            value = found.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[found.group(1)] = value
    return values


def _interpolate(value, env):
    return re.sub(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)",
                  lambda m: env.get(m.group(1) or m.group(3), m.group(2) or ""), str(value))


def parse_compose(text, env):
    """(secrets {name: path relative to srcs/}, environment {key: value} of all
    services, env_file paths relative to srcs/)."""
    try:
        data = yaml.safe_load(text or "") or {}
    except yaml.YAMLError:
        return {}, {}, []
    if not isinstance(data, dict):
        return {}, {}, []
    secrets = {name: spec["file"] for name, spec in (data.get("secrets") or {}).items()
               if isinstance(spec, dict) and spec.get("file")}
    environment, env_files = OrderedDict(), []
    for service in (data.get("services") or {}).values():
        if not isinstance(service, dict):
            continue
        given = service.get("environment") or {}
        if isinstance(given, list):
            given = dict(item.split("=", 1) if "=" in item else (item, env.get(item, "")) for item in given)
        for key, value in given.items():
            environment[key] = _interpolate("" if value is None else value, env)
        files = service.get("env_file") or []
        for entry in [files] if isinstance(files, (str, dict)) else files:
            path = entry.get("path") if isinstance(entry, dict) else entry
            if path:
                env_files.append(path)
    return secrets, environment, env_files


# -- the project as files --------------------------------------------------------

class LocalTree:
    """A project directory on this machine."""

    def __init__(self, root):
        self.root = str(root)

    def read(self, rel):
        import os
        path = os.path.join(self.root, rel)
        if not os.path.isfile(path):
            return None
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def files(self, rel):
        import os
        top = os.path.join(self.root, rel)
        return sorted(os.path.relpath(os.path.join(d, f), top) for d, _, names in os.walk(top) for f in names)

    def keys(self, rel):
        return list(parse_env(self.read(rel)))


class HostTree:
    """The project on the VM, read through testinfra as root. A secret file's
    contents never leave the VM: only its KEY= names are read."""

    def __init__(self, host, project):
        self.host, self.root = host, project

    def read(self, rel):
        with self.host.sudo():
            out = self.host.run("cat %s", posixpath.join(self.root, rel))
        return out.stdout if out.rc == 0 else None

    def files(self, rel):
        with self.host.sudo():
            out = self.host.run("cd %s 2>/dev/null && find . -type f", posixpath.join(self.root, rel))
        return sorted(line[2:] for line in out.stdout.splitlines() if line.startswith("./"))

    def keys(self, rel):
        with self.host.sudo():
            out = self.host.run(r"sed -n 's/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}\([A-Za-z_][A-Za-z0-9_]*\)"
                                r"[[:space:]]*=.*/\2/p' %s", posixpath.join(self.root, rel))
        return out.stdout.split()


# -- what to look for --------------------------------------------------------------

def _words(text):
    return set(re.findall(r"[a-z]+|\d+", re.sub(r"([a-z])([A-Z])", r"\1_\2", text).lower().replace("_", " ")))


PASSWORDY = {"password", "pass", "passwd", "pwd", "pw", "psw", "secret"}
DBWORDS = {"db", "sql", "mysql", "mariadb", "database"}
ROLES = {
    # role: (what the report calls it, exact name keys, a name key's words, default secret file)
    "admin": ("the WordPress administrator",
              ["WP_ADMIN_USER", "WP_ADMIN_LOGIN", "WP_ADMIN_NAME", "WP_ADMIN_USERNAME", "WORDPRESS_ADMIN_USER",
               "WORDPRESS_ADMIN_LOGIN", "WORDPRESS_ADMIN_NAME", "ADMIN_USER", "ADMIN_LOGIN", "ADMIN_NAME", "WP_ADMIN"],
              "wp_admin_password.txt"),
    "user": ("the second WordPress user",
             ["WP_USER", "WP_USER_LOGIN", "WP_USER_NAME", "WP_USERNAME", "WORDPRESS_USER", "WORDPRESS_USER_LOGIN",
              "WP_USER2", "WP_SECOND_USER", "WP_AUTHOR", "WP_EDITOR", "USER_LOGIN"],
             "wp_user_password.txt"),
    "db": ("the database user",
           ["MYSQL_USER", "MARIADB_USER", "DB_USER", "WORDPRESS_DB_USER", "WP_DB_USER", "SQL_USER",
            "DATABASE_USER", "DB_USERNAME", "MYSQL_USERNAME"],
           "db_password.txt"),
}
DB_NAMES = ["MYSQL_DATABASE", "MARIADB_DATABASE", "DB_NAME", "WORDPRESS_DB_NAME", "WP_DB_NAME", "SQL_DATABASE",
            "DATABASE_NAME", "DB_DATABASE", "MYSQL_DB", "MYSQL_DB_NAME"]


def is_role(role, text):
    """Does a key or file name (words) belong to role's account?"""
    words = _words(text)
    if "root" in words:
        return False
    if role == "admin":
        return "admin" in words and not words & DBWORDS
    if role == "user":
        return bool(words & {"user", "author", "editor", "user2", "usr"}) and "admin" not in words \
            and not words & DBWORDS
    return bool(words & DBWORDS) and "admin" not in words


def _is_name_key(role, key):
    words = _words(key)
    if not is_role(role, key) or words & (PASSWORDY | {"file", "mail", "email", "role", "title", "url", "host", "port"}):
        return False
    return role != "db" or bool(words & {"user", "username", "login"})


def _is_database_key(key):
    words = _words(key)
    return bool(words & DBWORDS) and bool(words & {"name", "database"}) \
        and not words & (PASSWORDY | {"user", "username", "host", "root", "file", "port"})


def _is_password_key(role, key):
    words = _words(key)
    return is_role(role, key) and bool(words & PASSWORDY) and "file" not in words


def _first(values, exact, fuzzy):
    for key in exact:
        if values.get(key):
            return key, values[key]
    for key, value in values.items():
        if value and fuzzy(key):
            return key, value
    return None, None


class Discovery:
    """What the suite needs from a project tree, and why a part is missing."""

    def __init__(self, tree, project):
        self.tree, self.project = tree, project.rstrip("/")
        self.compose = next((rel for rel in COMPOSE_FILES if tree.read(rel) is not None), None)
        env = parse_env(tree.read("srcs/.env"))
        secrets, environment, env_files = parse_compose(tree.read(self.compose) if self.compose else "", env)
        for rel in env_files:
            path = posixpath.normpath(posixpath.join("srcs", rel))
            if path != "srcs/.env":
                env.update(parse_env(tree.read(path)))
        self.env = env
        self.environment = OrderedDict(list(environment.items()) + list(env.items()))
        self.compose_secrets = {name: posixpath.normpath(posixpath.join("srcs", path))
                                for name, path in secrets.items()}
        self.secret_files = ["secrets/" + f for f in tree.files("secrets")
                             if not f.lower().endswith(NOT_A_PASSWORD)]

    def vm_path(self, rel):
        return posixpath.join(self.project, rel)

    def account(self, role):
        label, exact, default_file = ROLES[role]
        key, name = _first(self.environment, exact, lambda k: _is_name_key(role, k))
        database = None
        if role == "db":
            _, database = _first(self.environment, DB_NAMES, _is_database_key)
        password = self.password(role, default_file)
        missing = []
        if not name:
            missing.append("no user name for %s: none of %s (nor a similar key) is set in srcs/.env or %s"
                           % (label, ", ".join(exact[:3]), self.compose or "srcs/docker-compose.yml"))
        if role == "db" and not database:
            missing.append("no database name: none of %s is set in srcs/.env" % ", ".join(DB_NAMES[:3]))
        if password is None:
            missing.append("no password for %s: not in secrets/%s, no *_PASSWORD_FILE key pointing at a secret, "
                           "no secrets/ file named after it, no %s= line in secrets/*"
                           % (label, default_file, exact[0].replace("USER", "PASSWORD")))
        return Account(name, password, database, "; ".join(missing))

    def password(self, role, default_file):
        # 1. the subject's file, as this project renders it
        if "secrets/" + default_file in self.secret_files:
            return Secret(self.vm_path("secrets/" + default_file), None)
        # 2. *_PASSWORD_FILE=/run/secrets/<name> (a compose secret, or a file of secrets/)
        for key, value in self.environment.items():
            if key.endswith("_FILE") and _is_password_key(role, key[:-5]) and value:
                found = self._secret_file(posixpath.basename(value))
                if found:
                    return Secret(self.vm_path(found), None)
        # 3. a compose secret or a file of secrets/ named after the account's password
        for name, rel in sorted(self.compose_secrets.items()):
            if _is_password_key(role, name) and rel in self.secret_files:
                return Secret(self.vm_path(rel), None)
        for rel in self.secret_files:
            if _is_password_key(role, posixpath.splitext(posixpath.basename(rel))[0]):
                return Secret(self.vm_path(rel), None)
        # 4. a KEY=value line in a secrets file (credentials.txt and the like)
        for rel in self.secret_files:
            for key in self.tree.keys(rel):
                if _is_password_key(role, key):
                    return Secret(self.vm_path(rel), key)
        # 5. the password in .env itself (the linter flags it; the check can still decide)
        for key in self.env:
            if _is_password_key(role, key) and self.env[key]:
                return Secret(self.vm_path("srcs/.env"), key)
        return None

    def _secret_file(self, name):
        if name in self.compose_secrets:
            return self.compose_secrets[name]
        for rel in ("secrets/" + name, "secrets/%s.txt" % name):
            if rel in self.secret_files:
                return rel
        stem = posixpath.splitext(name)[0]
        return next((rel for rel in self.secret_files
                     if posixpath.splitext(posixpath.basename(rel))[0] == stem), None)


def project_from_compose_ls(text):
    """Project directories (the parent of srcs/) of the compose projects
    `docker compose ls --all --format json` lists."""
    try:
        projects = json.loads(text or "[]")
    except ValueError:
        return []
    found = []
    for project in projects if isinstance(projects, list) else []:
        for path in (project.get("ConfigFiles") or "").split(","):
            folder = posixpath.dirname(path.strip())
            if posixpath.basename(folder) == "srcs":
                found.append(posixpath.dirname(folder))
    return found
