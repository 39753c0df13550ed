"""The bonus services: inception_bonus [] renders exactly the mandatory tree; an unknown
name is refused naming the variable and listing the valid ones; every bonus file passes
hadolint/shellcheck/php -l (tests/unit/test_rendered_project.py renders all five)."""

import os
import re
import shutil
import subprocess

import jinja2
import pytest
import yaml
from conftest import render_project

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
ROLE = os.path.join(ROOT, "roles", "inception_project")
TEMPLATES = os.path.join(ROLE, "templates")
VALID = ["redis", "ftp", "website", "adminer", "monitoring"]

BONUS_IF = re.compile(r"^\{% if [^%]*inception_project_bonus[^%]*%\}$")
BONUS_EXPRESSION = re.compile(r"\{\{[^}]*inception_project_bonus[^}]*\}\}")


def without_bonus(text):
    """The template as it was before the bonus: every bonus block (nested ifs included)
    and expression taken out; the else-branch of a bonus block kept."""
    out, depth, keep = [], 0, True
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if depth == 0:
            if BONUS_IF.match(stripped):
                depth, keep = 1, False
                continue
            out.append(line)
            continue
        if stripped.startswith("{% if "):
            depth += 1
        elif stripped == "{% endif %}":
            depth -= 1
            if depth == 0:
                continue
        elif stripped == "{% else %}" and depth == 1:
            keep = True
            continue
        if keep:
            out.append(line)
    return BONUS_EXPRESSION.sub("", "".join(out))


def project_templates():
    """The mandatory project's templates (the bonus build contexts are bonus by definition)."""
    bonus = os.path.join(TEMPLATES, "project", "srcs", "requirements", "bonus")
    for current, _, names in os.walk(os.path.join(TEMPLATES, "project")):
        if current == bonus or current.startswith(bonus + os.sep):
            continue
        for name in sorted(names):
            yield os.path.relpath(os.path.join(current, name), TEMPLATES)


def _plan(cidr):
    import importlib.util
    spec = importlib.util.spec_from_file_location("inception_network", os.path.join(ROLE, "module_utils", "inception_network.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.plan(cidr)


def variables():
    """The role's defaults for login wil (plain Jinja, as far as the templates need them)."""
    with open(os.path.join(ROLE, "defaults", "main.yml"), encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    values = {"inception_login": "wil", "ansible_managed": "Ansible managed",
              "inception_project_context_hash": {n: "0123456789abcdef" for n in ("nginx", "wordpress", "mariadb")},
              # vars/main.yml's list with no bonus: the mandatory stack's internal networks.
              "__inception_project_internal_networks": ["fastcgi", "database"],
              # vars/main.yml's address plan of the default range.
              "__inception_project_net": _plan("172.30.42.0/24")}
    env = jinja2.Environment()
    for _ in range(5):  # defaults refer to each other
        for key, value in raw.items():
            if isinstance(value, str) and "{{" in value and key != "inception_project_bonus":
                try:
                    values[key] = env.from_string(value).render(values)
                except jinja2.UndefinedError:
                    pass
            elif key != "inception_project_bonus":
                values[key] = value
    return values


def render(name, text, context):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["hash"] = lambda value, kind: __import__("hashlib").new(kind, value.encode()).hexdigest()
    return env.from_string(text).render(context)


@pytest.mark.parametrize("template", sorted(project_templates()))
def test_no_bonus_renders_each_project_file_as_before_the_bonus(template):
    with open(os.path.join(TEMPLATES, template), encoding="utf-8") as handle:
        text = handle.read()
    before = without_bonus(text)
    assert "bonus" not in before.lower(), "a bonus part of %s is not inside an {%% if ... inception_project_bonus %%} block" % template
    context = variables()
    # The template without its bonus parts needs no bonus variable at all (StrictUndefined).
    expected = render(template, before, context)
    context.update(inception_project_bonus=[], __inception_project_bonus_web=[])
    assert render(template, text, context) == expected, "%s renders differently with inception_bonus: []" % template


@pytest.fixture(scope="module")
def mandatory_project(tmp_path_factory):
    return render_project(tmp_path_factory, '{"inception_bonus": []}')


def test_no_bonus_renders_the_mandatory_files_only(mandatory_project):
    files = sorted(str(p.relative_to(mandatory_project)) for p in mandatory_project.rglob("*") if p.is_file())
    expected = sorted(
        [re.sub(r"(^|/)(env|gitignore|dockerignore)\.j2$", lambda m: m.group(1) + "." + m.group(2), t[len("project/"):])
         .replace(".j2", "") for t in project_templates()]
        + ["secrets/%s.txt" % n for n in ("db_root_password", "db_password", "wp_admin_password", "wp_user_password", "credentials")]
        + ["secrets/tls/wil.42.fr.crt", "secrets/tls/wil.42.fr.key"])
    assert files == expected
    compose = yaml.safe_load((mandatory_project / "srcs" / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {"nginx", "wordpress", "mariadb"}
    credentials = (mandatory_project / "secrets" / "credentials.txt").read_text()
    assert credentials.endswith("mariadb_root_password_file=secrets/db_root_password.txt\n")
    san = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in",
                          str(mandatory_project / "secrets" / "tls" / "wil.42.fr.crt")], capture_output=True, text=True).stdout
    assert "DNS:wil.42.fr" in san and "DNS:adminer" not in san


@pytest.mark.parametrize("bonus", [["redis", "mail"], "redis", ["Redis"]])
def test_unknown_bonus_refused_naming_the_variable_and_the_valid_names(run_validate, bonus):
    rc, out = run_validate({"inception_bonus": bonus})
    assert rc != 0, out[-2000:]
    assert "inception_bonus" in out and ", ".join(VALID) in out, out[-2000:]


def test_known_bonus_subsets_pass_preflight(run_validate):
    rc, out = run_validate({"inception_bonus": ["website", "adminer"]})
    assert rc == 0, out[-2000:]


def test_rendered_bonus_tree_has_every_service(rendered_project):
    compose = yaml.safe_load((rendered_project / "srcs" / "docker-compose.yml").read_text())
    exporters = {"node-exporter", "nginx-exporter", "mysqld-exporter", "redis-exporter"}
    assert set(compose["services"]) == {"nginx", "wordpress", "mariadb"} | set(VALID) | exporters
    published = {name: svc.get("ports") for name, svc in compose["services"].items() if svc.get("ports")}
    assert published == {"nginx": ["${HTTPS_PORT}:443"], "ftp": ["21:21", "${FTP_PASSIVE_PORTS}:${FTP_PASSIVE_PORTS}"]}
    for name in VALID:
        context = rendered_project / "srcs" / "requirements" / "bonus" / name
        assert (context / "Dockerfile").is_file() and (context / ".dockerignore").is_file() and (context / "conf").is_dir()
    assert compose["volumes"]["monitoring"]["driver_opts"]["device"] == "${DATA_DIR}/monitoring"
    assert "php" not in (rendered_project / "srcs" / "requirements" / "bonus" / "website" / "Dockerfile").read_text()


def test_object_cache_drop_in_passes_php_lint(rendered_project):
    php = shutil.which("php")
    if not php:
        pytest.skip("php-cli is not installed (tools/host-deps.sh installs it); the evaluation suite lints it in the wordpress container")
    drop_in = rendered_project / "srcs" / "requirements" / "bonus" / "redis" / "tools" / "object-cache.php"
    proc = subprocess.run([php, "-l", str(drop_in)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    source = drop_in.read_text()
    for function in ("add", "add_multiple", "set", "set_multiple", "get", "get_multiple", "replace", "delete",
                     "delete_multiple", "incr", "decr", "flush", "flush_group", "flush_runtime", "supports", "close",
                     "add_global_groups", "add_non_persistent_groups", "switch_to_blog", "init"):
        assert re.search(r"^function wp_cache_%s\(" % function, source, re.M), "wp_cache_%s is missing" % function
    assert re.search(r"function wp_cache_get\(\$key, \$group = '', \$force = false, &\$found = null\)", source)
