"""The rule linter: the rendered project is clean; each rule catches its defect with file and line."""

import json
import os
import re
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
# The last line of each entrypoint: the daemon as its own user, PID 1.
WP_EXEC = 'exec setpriv --reuid=www-data --regid=www-data --init-groups --inh-caps=-all "$@"'
DB_EXEC = 'exec setpriv --reuid=mysql --regid=mysql --init-groups --inh-caps=-all "$@"'


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
    ("network-mode-host", COMPOSE, "    networks:\n      inception:\n      fastcgi:\n        ipv4_address: 172.30.42.62\n"
     "      web:\n      metrics:\n",
     "    network_mode: host\n", "network-host"),
    ("links", COMPOSE, "    restart: unless-stopped\n    depends_on:\n      wordpress:",
     "    restart: unless-stopped\n    links:\n      - wordpress\n    depends_on:\n      wordpress:", "links"),
    ("tail-f", WP_ENTRY, WP_EXEC, 'tail -f /dev/null', "keepalive"),
    ("sleep-infinity", DB_ENTRY, DB_EXEC, 'sleep infinity', "keepalive"),
    ("while-true", WP_ENTRY, WP_EXEC, 'while true; do php-fpm8.2 -F; done', "keepalive"),
    ("background", WP_ENTRY, WP_EXEC, 'php-fpm8.2 -F &\n' + WP_EXEC, "background"),
    ("bash-pid1", NGINX_DF, 'CMD ["nginx", "-g", "daemon off;"]', 'CMD ["bash"]', "shell-pid1"),
    ("sh-c-pid1", NGINX_DF, 'CMD ["nginx", "-g", "daemon off;"]', 'CMD nginx; sleep 1000', "shell-pid1"),
    ("entrypoint-no-exec", WP_ENTRY, WP_EXEC, WP_EXEC[len("exec "):], "shell-pid1"),
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
    edit(tree, WP_ENTRY, WP_EXEC, 'tail -f /dev/null')
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


def run_cli(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "tools", "inception-lint")] + [str(a) for a in args],
                          capture_output=True, text=True, check=False)


def test_cli_json_lists_every_violation(tree):
    edit(tree, NGINX_DF, "FROM debian:bookworm", "FROM debian:latest")
    proc = run_cli(tree, "--login", "wil", "--format", "json")
    assert proc.returncode == 1
    found = json.loads(proc.stdout)
    assert {"file", "line", "rule", "message"} == set(found[0])
    assert any(v["rule"] == "latest" and v["file"] == NGINX_DF and v["line"] >= 1 for v in found)


def test_cli_sarif_is_a_valid_2_1_0_log(tree):
    edit(tree, NGINX_DF, "FROM debian:bookworm", "FROM debian:latest")
    proc = run_cli(tree, "--login", "wil", "--format", "sarif")
    assert proc.returncode == 1
    log = json.loads(proc.stdout)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert rule_ids == set(inception_rules.RULES) and run["tool"]["driver"]["name"]
    assert run["results"]
    for result in run["results"]:
        assert result["ruleId"] in rule_ids and result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] and not os.path.isabs(location["artifactLocation"]["uri"])
        assert location["region"]["startLine"] >= 1


def test_cli_sarif_on_clean_tree_has_no_result(rendered_project):
    proc = run_cli(rendered_project, "--login", "wil", "--format", "sarif")
    assert proc.returncode == 0 and json.loads(proc.stdout)["runs"][0]["results"] == []


@pytest.mark.parametrize("args", [["/nonexistent/inception"], ["--format", "xml", "."]], ids=["no-such-path", "bad-format"])
def test_cli_exits_2_on_usage_error_or_unreadable_path(args):
    assert run_cli(*args).returncode == 2


def test_cli_alpine_option_sets_the_penultimate_release(tree):
    edit(tree, NGINX_DF, "FROM debian:bookworm", "FROM alpine:3.19")
    assert "[from]" in run_cli(tree, "--login", "wil").stdout
    assert "[from]" not in run_cli(tree, "--login", "wil", "--alpine", "3.19").stdout


def test_every_rule_is_documented_in_docs_rules_md():
    with open(os.path.join(ROOT, "docs", "rules.md"), encoding="utf-8") as handle:
        documented = set(re.findall(r"^## (\S+)$", handle.read(), re.M))
    assert documented == set(inception_rules.RULES)


@pytest.mark.parametrize("rel", ["roles/inception_project/module_utils/inception_rules.py",
                                 "roles/inception_project/library/inception_lint.py", "tools/inception-lint",
                                 "docs/rules.md"])
def test_linter_cites_only_documents_of_the_repository(rel):
    names = set()
    for base, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        names.update(os.path.relpath(os.path.join(base, f), ROOT) for f in files)
    with open(os.path.join(ROOT, rel), encoding="utf-8") as handle:
        cited = set(re.findall(r"[\w./-]*\w\.md\b", handle.read()))
    # A rendered document (README.md of the project) comes from a template of the role.
    missing = [c for c in cited if not any(n == c or n.endswith("/" + c) or n.endswith("/" + c + ".j2") for n in names)]
    assert not missing, "%s cites documents the repository lacks: %s" % (rel, missing)


def test_rendered_project_without_page_cache_has_no_violation(rendered_project_without_page_cache):
    assert lint(rendered_project_without_page_cache) == []
