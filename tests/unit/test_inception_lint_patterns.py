"""The rule linter on patterns of real student repositories (issue #12).

lint_fixtures/student is a clean student repository; each case changes one thing.
False alarms are clean cases (no violation at all), misses are caught cases (the
rule, on the file and line given), crashes are no-crash cases (a violation or
nothing, never a traceback).
"""

import os
import shutil
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
sys.path.insert(0, os.path.join(ROOT, "roles", "inception_project", "module_utils"))

import inception_rules  # noqa: E402

STUDENT = os.path.join(os.path.dirname(__file__), "lint_fixtures", "student")
COMPOSE = "srcs/docker-compose.yml"
ENV = "srcs/.env"
MAKEFILE = "Makefile"
NGINX_DF = "srcs/requirements/nginx/Dockerfile"
NGINX_CONF = "srcs/requirements/nginx/conf/nginx.conf"
WP_DF = "srcs/requirements/wordpress/Dockerfile"
WP_SCRIPT = "srcs/requirements/wordpress/tools/wp-setup.sh"
DB_DF = "srcs/requirements/mariadb/Dockerfile"
DB_SCRIPT = "srcs/requirements/mariadb/tools/init-db.sh"
PEM_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"


# --------------------------------------------------------------------------- changes
def replace(rel, old, new):
    """Change ``old`` to ``new`` in one file of the tree."""
    def apply(tree):
        path = os.path.join(tree, rel)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        assert old in text, "fixture text %r not in %s" % (old, rel)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text.replace(old, new, 1))
    return apply


def write(rel, content):
    """Write a file (str or bytes) into the tree."""
    def apply(tree):
        path = os.path.join(tree, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(content if isinstance(content, bytes) else content.encode("utf-8"))
    return apply


def remove(rel):
    return lambda tree: os.remove(os.path.join(tree, rel))


def rename(rel, new_rel):
    def apply(tree):
        os.makedirs(os.path.dirname(os.path.join(tree, new_rel)), exist_ok=True)
        os.rename(os.path.join(tree, rel), os.path.join(tree, new_rel))
    return apply


def nest_project(folder):
    """The whole project moved one level down (the repository root holds only ``folder``)."""
    def apply(tree):
        entries = os.listdir(tree)
        os.mkdir(os.path.join(tree, folder))
        for entry in entries:
            os.rename(os.path.join(tree, entry), os.path.join(tree, folder, entry))
    return apply


def symlink(rel, target):
    def apply(tree):
        path = os.path.join(tree, rel)
        os.remove(path)
        os.symlink(target, path)
    return apply


MERGE_COMPOSE = """---
x-common: &common
  restart: always
  networks:
    - inception

services:
  nginx:
    <<: *common
    image: nginx:inception
    build: requirements/nginx
    ports:
      - "443:443"
    volumes:
      - wordpress_data:/var/www/html
  wordpress:
    <<: *common
    image: wordpress:inception
    build: requirements/wordpress
    volumes:
      - wordpress_data:/var/www/html
  mariadb:
    <<: [*common]
    image: mariadb:inception
    build: requirements/mariadb
    volumes:
      - mariadb_data:/var/lib/mysql

volumes:
  wordpress_data:
    driver_opts: {type: none, o: bind, device: "${DATA_PATH}/wordpress"}
  mariadb_data:
    driver_opts: {type: none, o: bind, device: "${DATA_PATH}/mariadb"}

networks:
  inception:
"""

GENERATING_MAKEFILE = """all: srcs/.env
\tdocker compose -f srcs/docker-compose.yml up -d --build

srcs/.env:
\t@echo "DOMAIN_NAME=$(USER).42.fr" > srcs/.env
\t@echo "DATA_PATH=/home/$(USER)/data" >> srcs/.env
"""

START_NO_EXEC = """#!/bin/sh
mkdir -p /run/php
wp core is-installed --allow-root || wp core install --allow-root
php-fpm8.2 -F
"""

BOOTSTRAP_KILL = """#!/bin/sh
mysqld --user=mysql --skip-networking &
pid="$!"
sleep 5
mysql -u root -e "CREATE DATABASE IF NOT EXISTS wordpress;"
kill "$pid"
wait "$pid"
exec mysqld --user=mysql
"""

# (id, changes, lint options, expected): expected is [] for a clean case, else
# (rule, file, text of the line it points at) triples; None for a no-crash case.
CASES = [
    # ---------------------------------------------------------------- false alarms: clean
    ("fa-lowercase-dockerfile", [rename(NGINX_DF, "srcs/requirements/nginx/dockerfile")], {}, []),
    ("fa-bootstrap-server-killed", [write(DB_SCRIPT, BOOTSTRAP_KILL)], {}, []),
    ("fa-bootstrap-server-shutdown", [], {}, []),
    ("fa-readonly-secrets-mount", [replace(COMPOSE, "      - mariadb_data:/var/lib/mysql\n",
                                           "      - mariadb_data:/var/lib/mysql\n      - ../secrets:/run/secrets:ro\n")],
     {}, []),
    ("fa-runner-environment-not-used", [replace(COMPOSE, "device: ${DATA_PATH}/wordpress",
                                                "device: /home/${LOGIN}/data/wordpress"),
                                        write(ENV, "LOGIN=jdoe\nDATA_PATH=/home/jdoe/data\n")], {}, []),
    ("fa-compose-default", [replace(COMPOSE, "device: ${DATA_PATH}/wordpress",
                                    "device: ${WP_DATA:-/home/jdoe/data/wordpress}")], {}, []),
    ("fa-yaml-merge-keys", [write(COMPOSE, MERGE_COMPOSE)], {}, []),
    ("fa-env-generated-by-makefile", [remove(ENV), write(MAKEFILE, GENERATING_MAKEFILE),
                                      write(".gitignore", "secrets/\nsrcs/.env\n")], {}, []),
    ("fa-path-valued-secret-key", [replace(ENV, "DATA_PATH=", "SECRETS_ROOT=../secrets\nDATA_PATH=")], {}, []),
    ("fa-secret-file-reference", [replace(COMPOSE, "    env_file: .env\n    secrets:\n      - db_password\n      - wp",
                                          "    env_file: .env\n    environment:\n"
                                          "      WP_DB_PASSWORD_FILE: /run/secrets/db_password\n"
                                          "    secrets:\n      - db_password\n      - wp")], {}, []),
    ("fa-init-true", [replace(COMPOSE, "    container_name: wordpress\n", "    container_name: wordpress\n    init: true\n"),
                      replace(WP_SCRIPT, "exec php-fpm8.2 -F", "php-fpm8.2 -F")], {}, []),
    ("fa-secrets-mount-key-ignored", [write("secrets/tls/jdoe.42.fr.key", PEM_KEY)], {}, []),
    ("fa-alpine-option", [replace(NGINX_DF, "FROM debian:bookworm", "FROM alpine:3.22")], {"alpine": "3.22"}, []),

    # ---------------------------------------------------------------- misses: caught
    ("miss-env-pwd", [replace(ENV, "MYSQL_USER=wpuser", "MYSQL_USER=wpuser\nDB_PWD=hunter2")], {},
     [("secret-in-env", ENV, "DB_PWD=")]),
    ("miss-env-pw", [replace(ENV, "MYSQL_USER=wpuser", "MYSQL_USER=wpuser\nWP_ADMIN_PW=hunter2")], {},
     [("secret-in-env", ENV, "WP_ADMIN_PW=")]),
    ("miss-env-db-root", [replace(ENV, "MYSQL_USER=wpuser", "MYSQL_USER=wpuser\nDB_ROOT=toor42")], {},
     [("secret-in-env", ENV, "DB_ROOT=")]),
    ("miss-env-pass", [replace(ENV, "MYSQL_USER=wpuser", "MYSQL_USER=wpuser\nMYSQL_PASS=hunter2")], {},
     [("secret-in-env", ENV, "MYSQL_PASS=")]),
    ("miss-compose-environment-pwd", [replace(COMPOSE, "    env_file: .env\n    secrets:\n      - db_password\n      - wp",
                                              "    env_file: .env\n    environment:\n      WP_ADMIN_PWD: hunter2\n"
                                              "    secrets:\n      - db_password\n      - wp")], {},
     [("secret-in-env", COMPOSE, "WP_ADMIN_PWD:")]),
    ("miss-build-args-pass", [replace(COMPOSE, "      context: requirements/wordpress\n",
                                      "      context: requirements/wordpress\n      args:\n        - DB_PASS=hunter2\n")], {},
     [("secret-in-dockerfile", COMPOSE, "- DB_PASS=hunter2")]),
    ("miss-dockerfile-env-pw", [replace(WP_DF, "EXPOSE 9000", "ENV WP_USER_PW=hunter2\nEXPOSE 9000")], {},
     [("secret-in-dockerfile", WP_DF, "ENV WP_USER_PW")]),
    ("miss-dockerfile-arg-several-names", [replace(DB_DF, "EXPOSE 3306", "ARG DB_NAME DB_USER DB_PASS\nEXPOSE 3306")], {},
     [("secret-in-dockerfile", DB_DF, "ARG DB_NAME")]),
    ("miss-lowercase-dockerfile-linted", [rename(NGINX_DF, "srcs/requirements/nginx/dockerfile"),
                                          replace("srcs/requirements/nginx/dockerfile", "FROM debian:bookworm",
                                                  "FROM nginx:1.25")], {},
     [("from", "srcs/requirements/nginx/dockerfile", "FROM nginx:1.25")]),
    ("miss-named-dockerfile-linted", [rename(DB_DF, "srcs/requirements/mariadb/mariadb.dockerfile"),
                                      replace("srcs/requirements/mariadb/mariadb.dockerfile", "FROM debian:bookworm",
                                              "FROM mariadb:10.11"),
                                      replace(COMPOSE, "    build: requirements/mariadb\n",
                                              "    build:\n      context: requirements/mariadb\n"
                                              "      dockerfile: mariadb.dockerfile\n")], {},
     [("from", "srcs/requirements/mariadb/mariadb.dockerfile", "FROM mariadb:10.11")]),
    ("miss-compose-dockerfile-key-missing", [replace(COMPOSE, "      context: requirements/wordpress\n",
                                                     "      context: requirements/wordpress\n"
                                                     "      dockerfile: wp.Dockerfile\n")], {},
     [("dockerfile", COMPOSE, "dockerfile: wp.Dockerfile")]),
    ("miss-script-pid1-any-name", [write("srcs/requirements/wordpress/tools/start.sh", START_NO_EXEC),
                                   replace(WP_DF, "COPY tools/wp-setup.sh /usr/local/bin/wp-setup.sh",
                                           "COPY tools/start.sh /usr/local/bin/start.sh"),
                                   replace(WP_DF, 'ENTRYPOINT ["/usr/local/bin/wp-setup.sh"]',
                                           'CMD ["sh", "/usr/local/bin/start.sh"]')], {},
     [("shell-pid1", "srcs/requirements/wordpress/tools/start.sh", "php-fpm8.2 -F")]),
    ("miss-script-pid1-entrypoint-by-name", [replace(DB_SCRIPT, "exec mysqld --user=mysql", "mysqld --user=mysql")], {},
     [("shell-pid1", DB_SCRIPT, "mysqld --user=mysql")]),
    ("miss-background-daemon", [replace(WP_SCRIPT, "exec php-fpm8.2 -F", "php-fpm8.2 -F &\nexec nginx -g 'daemon off;'")],
     {}, [("background", WP_SCRIPT, "php-fpm8.2 -F &")]),
    ("miss-background-then-wait", [replace(WP_SCRIPT, "exec php-fpm8.2 -F", "php-fpm8.2 -F &\nwait")],
     {}, [("background", WP_SCRIPT, "php-fpm8.2 -F &"), ("shell-pid1", WP_SCRIPT, "wait")]),
    ("miss-compose-syntax", [replace(COMPOSE, "    restart: always\n\n  wordpress:", "    restart: always\n  \tbad\n\n  wordpress:")],
     {}, [("compose-syntax", COMPOSE, "bad")]),
    ("miss-misspelled-srcs", [rename(COMPOSE, "scrs/docker-compose.yml"), rename(ENV, "scrs/.env"),
                              replace("scrs/docker-compose.yml", "    restart: on-failure\n",
                                      "    restart: on-failure\n    network_mode: host\n")], {},
     [("layout", "scrs/docker-compose.yml", "---"), ("network-host", "scrs/docker-compose.yml", "network_mode: host")]),
    ("miss-unset-variable", [replace(COMPOSE, "device: ${DATA_PATH}/wordpress", "device: /home/${USER}/data/wordpress")],
     {}, [("env-variable", COMPOSE, "${USER}")]),
    ("miss-committed-tls-key", [write("srcs/requirements/nginx/tools/jdoe.42.fr.key", PEM_KEY)], {},
     [("private-key", "srcs/requirements/nginx/tools/jdoe.42.fr.key", "BEGIN PRIVATE KEY")]),
    ("miss-script-password-mysql-p", [replace(WP_SCRIPT, 'until mysqladmin ping -h mariadb -u "$MYSQL_USER" -p"$DB_PASSWORD"',
                                              'until mysqladmin ping -h mariadb -u root -proot42')], {},
     [("secret-in-script", WP_SCRIPT, "-proot42")]),
    ("miss-script-password-identified-by", [replace(DB_SCRIPT, "IDENTIFIED BY '${DB_PASSWORD}'", "IDENTIFIED BY 'hunter2'")],
     {}, [("secret-in-script", DB_SCRIPT, "IDENTIFIED BY 'hunter2'")]),
    ("miss-script-password-wp-cli", [replace(WP_SCRIPT, '--admin_password="$WP_ADMIN_PASSWORD"',
                                             "--admin_password=Sup3rSecret")], {},
     [("secret-in-script", WP_SCRIPT, "--admin_password=Sup3rSecret")]),
    ("miss-script-password-assignment", [replace(WP_SCRIPT, "DB_PASSWORD=$(cat /run/secrets/db_password)",
                                                 'DB_PASSWORD="hunter2"')], {},
     [("secret-in-script", WP_SCRIPT, 'DB_PASSWORD="hunter2"')]),
    ("miss-sql-file-password", [write("srcs/requirements/mariadb/conf/init.sql",
                                      "CREATE USER 'wpuser'@'%' IDENTIFIED BY 'wppass';\n")], {},
     [("secret-in-script", "srcs/requirements/mariadb/conf/init.sql", "IDENTIFIED BY")]),
    ("miss-nginx-port-80", [replace(COMPOSE, '      - "443:443"', '      - "443:443"\n      - "80:80"')], {},
     [("ports", COMPOSE, '"80:80"')]),
    ("miss-bonus-http-port", [replace(COMPOSE, "\nsecrets:\n", "\n  adminer:\n    image: adminer:inception\n"
                                      "    build: requirements/bonus/adminer\n    ports:\n      - \"8080:8080\"\n"
                                      "    restart: always\n    networks:\n      - inception\n\nsecrets:\n"),
                              write("srcs/requirements/bonus/adminer/Dockerfile",
                                    "FROM debian:bookworm\nRUN apt-get update && apt-get install -y adminer\n"
                                    "CMD [\"php\", \"-S\", \"0.0.0.0:8080\", \"-t\", \"/usr/share/adminer\"]\n")], {},
     [("ports", COMPOSE, '"8080:8080"')]),
    ("miss-nginx-old-tls", [replace(NGINX_CONF, "ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1 TLSv1.1 TLSv1.2;")],
     {}, [("nginx-tls", NGINX_CONF, "ssl_protocols")]),
    ("miss-nginx-listen-80", [replace(NGINX_CONF, "    listen 443 ssl;\n", "    listen 80;\n    listen 443 ssl;\n")], {},
     [("nginx-tls", NGINX_CONF, "listen 80;")]),
    ("miss-makefile-default-target", [replace(MAKEFILE, "all: up\n", "all:\n\t@echo 'usage: make up'\n")], {},
     [("makefile", MAKEFILE, "all:")]),
    ("miss-makefile-builds-only", [replace(MAKEFILE, "\t$(COMPOSE) up -d --build", "\t$(COMPOSE) build")], {},
     [("makefile", MAKEFILE, "all:")]),
    ("miss-project-one-level-down", [nest_project("inception")], {},
     [("layout", "inception/Makefile", "NAME = inception")]),
    ("miss-alpine-default", [replace(NGINX_DF, "FROM debian:bookworm", "FROM alpine:3.20")], {},
     [("from", NGINX_DF, "FROM alpine:3.20")]),

    # ---------------------------------------------------------------- crashes: reported, never raised
    ("crash-latin1-comment", [write(COMPOSE, open(os.path.join(STUDENT, COMPOSE), encoding="utf-8").read()
                                    .replace("---\n", "---\n# r\xe9seau et donn\xe9es\n").encode("latin-1"))], {}, []),
    ("crash-empty-volume-source", [replace(COMPOSE, "      - mariadb_data:/var/lib/mysql\n",
                                           "      - mariadb_data:/var/lib/mysql\n      - type: bind\n"
                                           "        source:\n        target: /var/lib/mysql/conf\n")], {}, None),
    ("crash-services-as-list", [replace(COMPOSE, "services:\n  nginx:", "services:\n  - nginx\nunused:\n  nginx:")], {}, None),
    ("crash-environment-scalar", [replace(COMPOSE, "    env_file: .env\n    secrets:\n      - db_password\n      - wp",
                                          "    env_file: .env\n    environment: 42\n    secrets:\n      - db_password\n      - wp")],
     {}, None),
    ("crash-binary-dockerfile", [write(NGINX_DF, b"\xff\xfe\x00\x01FROM\x00")], {}, None),
    ("crash-dangling-dockerfile-link", [symlink(DB_DF, "/nonexistent/Dockerfile")], {},
     [("unreadable", DB_DF, None)]),
    ("crash-compose-top-level-list", [write(COMPOSE, "---\n- nginx\n- wordpress\n")], {},
     [("compose", COMPOSE, "---")]),
    ("crash-recursive-alias", [write(COMPOSE, "---\nservices: &s\n  nginx: *s\n")], {},
     [("compose-syntax", COMPOSE, "services: &s")]),
]


@pytest.fixture
def student(tmp_path):
    tree = tmp_path / "repo"
    shutil.copytree(STUDENT, tree, symlinks=True)
    return str(tree)


def line_of(tree, rel, needle):
    with open(os.path.join(tree, rel), "rb") as handle:
        for number, line in enumerate(handle.read().decode("utf-8", "replace").splitlines(), 1):
            if needle in line:
                return number
    raise AssertionError("%r not in %s" % (needle, rel))


@pytest.mark.parametrize("changes,options,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_student_pattern(student, monkeypatch, changes, options, expected):
    # Whoever runs the linter must not change its results.
    monkeypatch.setenv("USER", "intruder")
    monkeypatch.setenv("DATA_PATH", "/tmp/elsewhere")
    monkeypatch.setenv("LOGIN", "intruder")
    for change in changes:
        change(student)
    found = inception_rules.lint_tree(student, login="jdoe", **options)
    for v in found:
        assert v.line >= 1 and "\n" not in v.message and len(v.message) <= 160, v
        assert v.rule in inception_rules.RULES
    if expected is None:
        assert not [v for v in found if v.rule == "unreadable" and "Error" in v.message], found
        return
    if not expected:
        assert found == [], "\n".join(map(inception_rules.format_violation, found))
        return
    for rule, rel, needle in expected:
        hits = [v for v in found if v.rule == rule and v.file == rel]
        assert hits, "no %s on %s in:\n%s" % (rule, rel, "\n".join(map(inception_rules.format_violation, found)))
        if needle is not None:
            assert line_of(student, rel, needle) in {v.line for v in hits}, hits


def test_student_fixture_is_clean_as_is(student):
    assert inception_rules.lint_tree(student, login="jdoe") == []
