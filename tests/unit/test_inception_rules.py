"""The rule linter: the rendered project is clean; each rule catches its defect with file and line."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
sys.path.insert(0, os.path.join(ROOT, "roles", "inception_project", "module_utils"))

import inception_rules  # noqa: E402

COMPOSE = "srcs/docker-compose.yml"
ENV = "srcs/.env"
NGINX_DF = "srcs/requirements/nginx/Dockerfile"
MARIADB_DF = "srcs/requirements/mariadb/Dockerfile"
WP_ENTRY = "srcs/requirements/wordpress/tools/entrypoint.sh"
DB_ENTRY = "srcs/requirements/mariadb/tools/entrypoint.sh"


@pytest.fixture
def tree(rendered_project, tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(rendered_project, copy)
    return copy


def edit(tree, rel, old, new, count=1):
    path = tree / rel
    text = path.read_text()
    assert old in text, "fixture text %r not in %s" % (old, rel)
    path.write_text(text.replace(old, new, count))
    added = [line for line in new.splitlines() if line.strip() and line not in old.splitlines()]
    return {line_of(tree, rel, line) for line in added}


def line_of(tree, rel, needle):
    """Line number of the first line containing ``needle``."""
    for number, line in enumerate((tree / rel).read_text().splitlines(), 1):
        if needle.strip() and needle.strip() in line:
            return number
    return 0


def lint(tree, **kw):
    kw.setdefault("login", "wil")
    return inception_rules.lint_tree(str(tree), **kw)


def only(violations, rule):
    return [v for v in violations if v.rule == rule]


def test_rendered_project_has_no_violation(rendered_project):
    assert lint(rendered_project) == []


CASES = [
    # (id, file, old, new, rule)
    ("from-not-penultimate", NGINX_DF, "FROM debian:bookworm", "FROM debian:trixie", "from"),
    ("from-ready-made", NGINX_DF, "FROM debian:bookworm", "FROM nginx:1.25", "from"),
    ("from-implicit-latest", NGINX_DF, "FROM debian:bookworm", "FROM debian", "latest"),
    ("image-latest", COMPOSE, "image: nginx:${IMAGE_TAG}", "image: nginx:latest", "latest"),
    ("image-no-tag", COMPOSE, "image: nginx:${IMAGE_TAG}", "image: nginx", "latest"),
    ("image-name", COMPOSE, "image: nginx:${IMAGE_TAG}", "image: web:${IMAGE_TAG}", "image-name"),
    ("network-mode-host", COMPOSE, "    networks:\n      - inception\n    healthcheck:\n      test: [\"CMD\", \"curl\"",
     "    network_mode: host\n    healthcheck:\n      test: [\"CMD\", \"curl\"", "network-host"),
    ("links", COMPOSE, "    restart: unless-stopped\n    depends_on:\n      wordpress:",
     "    restart: unless-stopped\n    links:\n      - wordpress\n    depends_on:\n      wordpress:", "links"),
    ("tail-f", WP_ENTRY, 'exec "$@"', 'tail -f /dev/null', "keepalive"),
    ("sleep-infinity", DB_ENTRY, 'exec "$@"', 'sleep infinity', "keepalive"),
    ("while-true", WP_ENTRY, 'exec "$@"', 'while true; do php-fpm8.2 -F; done', "keepalive"),
    ("background", WP_ENTRY, 'exec "$@"', 'php-fpm8.2 -F &\nexec "$@"', "background"),
    ("bash-pid1", NGINX_DF, 'CMD ["nginx", "-g", "daemon off;"]', 'CMD ["bash"]', "shell-pid1"),
    ("sh-c-pid1", NGINX_DF, 'CMD ["nginx", "-g", "daemon off;"]', 'CMD nginx; sleep 1000', "shell-pid1"),
    ("entrypoint-no-exec", WP_ENTRY, 'exec "$@"', '"$@"', "shell-pid1"),
    ("secret-env-dockerfile", MARIADB_DF, "EXPOSE 3306", "ENV MYSQL_ROOT_PASSWORD=hunter2\nEXPOSE 3306",
     "secret-in-dockerfile"),
    ("secret-arg-dockerfile", MARIADB_DF, "EXPOSE 3306", "ARG DB_PASSWORD\nEXPOSE 3306", "secret-in-dockerfile"),
    ("secret-in-dotenv", ENV, "MYSQL_USER=wpuser", "MYSQL_USER=wpuser\nMYSQL_PASSWORD=hunter2", "secret-in-env"),
    ("secret-in-compose-env", COMPOSE, "      MYSQL_USER: ${MYSQL_USER}\n    secrets:\n      - db_root_password",
     "      MYSQL_USER: ${MYSQL_USER}\n      MYSQL_PASSWORD: hunter2\n    secrets:\n      - db_root_password",
     "secret-in-env"),
    ("volume-outside-data", ENV, "DATA_DIR=/home/wil/data", "DATA_DIR=/var/lib/inception", "volume-path"),
    ("admin-name", ENV, "WP_ADMIN_USER=wil_chief", "WP_ADMIN_USER=Administrator42", "admin-name"),
    ("no-restart", COMPOSE, "    restart: unless-stopped\n", "", "restart"),
    ("port-80", COMPOSE, '      - "${HTTPS_PORT}:443"', '      - "${HTTPS_PORT}:443"\n      - "80:80"', "ports"),
    ("db-published", COMPOSE, "    volumes:\n      - mariadb:/var/lib/mysql",
     "    ports:\n      - \"3306:3306\"\n    volumes:\n      - mariadb:/var/lib/mysql", "ports"),
]


@pytest.mark.parametrize("rel,old,new,rule", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_catches_its_defect_with_file_and_line(tree, rel, old, new, rule):
    expected_lines = edit(tree, rel, old, new)
    found = only(lint(tree), rule)
    assert found, "rule %s not reported" % rule
    files = {v.file for v in found}
    assert rel in files or (rule == "volume-path" and COMPOSE in files)
    if rule not in ("volume-path", "restart", "shell-pid1"):
        assert any(v.line in expected_lines for v in found), (expected_lines, found)


def test_missing_networks_reported(tree):
    path = tree / COMPOSE
    text = path.read_text()
    path.write_text(text[: text.index("\nnetworks:")] + "\n")
    found = only(lint(tree), "networks")
    assert found and found[0].file == COMPOSE


def test_missing_makefile_and_dockerfile_reported(tree):
    os.remove(tree / "Makefile")
    os.remove(tree / NGINX_DF)
    rules = {(v.rule, v.file) for v in lint(tree)}
    assert ("layout", "Makefile") in rules
    assert ("dockerfile", COMPOSE) in rules


def test_empty_dockerfile_reported(tree):
    (tree / NGINX_DF).write_text("# nothing\n")
    assert only(lint(tree), "dockerfile")


def test_secrets_not_gitignored_reported(tree):
    (tree / ".gitignore").write_text("*.log\n")
    assert only(lint(tree), "secrets-git")


def test_changed_https_port_is_allowed_when_declared(tree):
    edit(tree, ENV, "HTTPS_PORT=443", "HTTPS_PORT=8443")
    assert only(lint(tree), "ports")
    assert not only(lint(tree, https_port=8443), "ports")


def test_every_violation_is_reported_not_just_the_first(tree):
    edit(tree, NGINX_DF, "FROM debian:bookworm", "FROM debian:latest")
    edit(tree, ENV, "WP_ADMIN_USER=wil_chief", "WP_ADMIN_USER=admin42")
    edit(tree, WP_ENTRY, 'exec "$@"', 'tail -f /dev/null')
    rules = {v.rule for v in lint(tree)}
    assert {"latest", "from", "admin-name", "keepalive"} <= rules


def test_cli_prints_violations_and_exits_1(tree):
    edit(tree, NGINX_DF, "FROM debian:bookworm", "FROM debian:latest")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "inception-lint"), str(tree), "--login", "wil"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "%s:" % NGINX_DF in proc.stdout and "[latest]" in proc.stdout


def test_cli_exits_0_on_clean_tree(rendered_project):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "inception-lint"), str(rendered_project),
                           "--login", "wil"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout


def test_rendered_project_without_page_cache_has_no_violation(rendered_project_without_page_cache):
    assert lint(rendered_project_without_page_cache) == []
