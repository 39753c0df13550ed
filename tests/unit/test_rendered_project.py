"""The rendered Inception tree: linted by hadolint and shellcheck, documented, secrets kept apart."""

import datetime
import os
import re
import shutil
import stat
import subprocess
import sys

import pytest
import yaml
from conftest import render_into

BIN = os.path.dirname(sys.executable)
SERVICES = ("nginx", "wordpress", "mariadb")
# The fixture renders the role's defaults: every bonus service (tests/unit/test_bonus.py
# covers inception_bonus: []).
BONUS_DOCKERFILES = ("redis/Dockerfile", "ftp/Dockerfile", "website/Dockerfile", "adminer/Dockerfile",
                     "monitoring/Dockerfile", "monitoring/exporter.Dockerfile")
# DL3008: packages come unpinned from Debian's stable suite, which only takes security fixes.
HADOLINT_IGNORE = ["DL3008"]


def tool(name):
    path = shutil.which(name, path=BIN + os.pathsep + os.environ.get("PATH", ""))
    assert path, "%s is not installed (make setup / .ci/run install it)" % name
    return path


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_passes_hadolint(rendered_project, service):
    dockerfile = rendered_project / "srcs" / "requirements" / service / "Dockerfile"
    args = [tool("hadolint")] + sum((["--ignore", rule] for rule in HADOLINT_IGNORE), []) + [str(dockerfile)]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("dockerfile", BONUS_DOCKERFILES)
def test_bonus_dockerfile_passes_hadolint(rendered_project, dockerfile):
    path = rendered_project / "srcs" / "requirements" / "bonus" / dockerfile
    args = [tool("hadolint")] + sum((["--ignore", rule] for rule in HADOLINT_IGNORE), []) + [str(path)]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_shell_scripts_pass_shellcheck(rendered_project):
    scripts = sorted(str(p) for p in rendered_project.rglob("*.sh"))
    assert len(scripts) >= 5
    proc = subprocess.run([tool("shellcheck"), "--shell=sh"] + scripts, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout


def test_scripts_are_executable(rendered_project):
    for script in rendered_project.rglob("*.sh"):
        assert os.stat(script).st_mode & stat.S_IXUSR, script


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_build_context(rendered_project, service):
    context = rendered_project / "srcs" / "requirements" / service
    for entry in ("Dockerfile", ".dockerignore", "conf"):
        assert (context / entry).exists(), entry
    froms = [line for line in (context / "Dockerfile").read_text().splitlines() if line.startswith("FROM ")]
    assert froms and all(line.split()[1] == "debian:bookworm" for line in froms)


def test_readme_first_line_is_italic_with_login(rendered_project):
    first = (rendered_project / "README.md").read_text().splitlines()[0]
    assert first == "*This project has been created as part of the 42 curriculum by wil.*"
    for doc in ("USER_DOC.md", "DEV_DOC.md"):
        assert (rendered_project / doc).stat().st_size > 500


def test_compose_declares_secrets_volumes_network(rendered_project):
    compose = yaml.safe_load((rendered_project / "srcs" / "docker-compose.yml").read_text())
    assert set(SERVICES) <= set(compose["services"])
    assert set(compose["secrets"]) == {"db_root_password", "db_password", "wp_admin_password", "wp_user_password",
                                       "tls_certificate", "tls_key", "redis_password", "ftp_password",
                                       "monitoring_auth", "db_exporter_password"}
    assert compose["networks"]["inception"]["driver"] == "bridge"
    for name in ("wordpress", "mariadb"):
        assert compose["volumes"][name]["driver_opts"]["device"] == "${DATA_DIR}/%s" % name
    for name, svc in compose["services"].items():
        assert svc["image"] == "%s:${IMAGE_TAG}" % name
        assert svc["pull_policy"] == "never"
        assert "healthcheck" in svc and svc["restart"] == "unless-stopped"
        assert len(svc["build"]["labels"]["org.inception.context"]) == 16


def test_secret_files_are_private_and_gitignored(rendered_project):
    secrets = rendered_project / "secrets"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    for path in secrets.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert "secrets/" in (rendered_project / ".gitignore").read_text().splitlines()


def test_no_secret_value_outside_secrets(rendered_project):
    values = [p.read_text().strip() for p in (rendered_project / "secrets").glob("*_password.txt")]
    assert len(values) == 8  # 4 mandatory, 4 bonus
    for path in rendered_project.rglob("*"):
        if path.is_file() and "secrets" not in path.parts:
            text = path.read_text(errors="replace")
            assert not any(v in text for v in values), path


def test_credentials_index_names_files_not_values(rendered_project):
    index = (rendered_project / "secrets" / "credentials.txt").read_text()
    assert "wordpress_admin_user=wil_chief" in index
    for password in (rendered_project / "secrets").glob("*_password.txt"):
        assert password.read_text().strip() not in index


def nginx_context(project):
    context = project / "srcs" / "requirements" / "nginx"
    return (context / "conf" / "inception.conf").read_text(), (context / "Dockerfile").read_text()


def test_page_cache_is_on_by_default_and_bypassed_for_what_must_stay_fresh(rendered_project):
    conf, dockerfile = nginx_context(rendered_project)
    assert "fastcgi_cache_path /var/cache/nginx/fastcgi " in conf
    assert "fastcgi_cache pages;" in conf and "fastcgi_cache_valid 200 301 302 404 10s;" in conf
    assert "add_header X-Cache-Status $upstream_cache_status always;" in conf
    for cookie in ("wordpress_logged_in_", "comment_author_", "wp-postpass_"):
        assert cookie in conf
    for path in ("wp-admin", r"wp-login\.php", r"\?"):
        assert path in conf
    skips = "$inception_skip_method $inception_skip_uri $inception_skip_cookie;"
    assert "fastcgi_cache_bypass " + skips in conf and "fastcgi_no_cache " + skips in conf
    assert "install -d -o www-data -g www-data -m 0700 /var/cache/nginx/fastcgi" in dockerfile


def test_page_cache_off_leaves_no_cache_in_nginx(rendered_project_without_page_cache):
    conf, dockerfile = nginx_context(rendered_project_without_page_cache)
    assert "fastcgi_cache" not in conf and "X-Cache-Status" not in conf and "inception_skip" not in conf
    assert "/var/cache/nginx/fastcgi" not in dockerfile
    assert "fastcgi_pass wordpress:9000;" in conf


def test_dockerfile_without_page_cache_passes_hadolint(rendered_project_without_page_cache):
    dockerfile = rendered_project_without_page_cache / "srcs" / "requirements" / "nginx" / "Dockerfile"
    args = [tool("hadolint")] + sum((["--ignore", rule] for rule in HADOLINT_IGNORE), []) + [str(dockerfile)]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_images_are_slim(rendered_project, service):
    whole = (rendered_project / "srcs" / "requirements" / service / "Dockerfile").read_text()
    dockerfile = whole[whole.rindex("\nFROM "):]  # the image's own stage
    install = dockerfile.index("apt-get install")
    excludes = dockerfile.index("/etc/dpkg/dpkg.cfg.d/inception-slim")
    assert excludes < install, "the dpkg path excludes must be set before the first install"
    for path in ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/locale/*", "/usr/share/info/*",
                 "/usr/share/lintian/*"):
        assert "'path-exclude=%s'" % path in dockerfile
    for line in whole.split("apt-get install")[1:]:
        assert line.startswith(" -y --no-install-recommends"), line[:60]
    assert whole.count("rm -rf /var/lib/apt/lists/*") == whole.count("apt-get update")


def test_every_php_file_passes_php_lint(rendered_project):
    sources = sorted(rendered_project.rglob("*.php"))
    assert {p.name for p in sources} >= {"wp-setup.php", "db.php", "object-cache.php"}, sources
    for source in sources:
        proc = subprocess.run([tool("php"), "-l", str(source)], capture_output=True, text=True)
        assert proc.returncode == 0, "%s: %s" % (source, proc.stdout + proc.stderr)


def test_database_settings_match_what_wpdb_would_ask_for(rendered_project):
    """wpdb's per-request SET NAMES / sql_mode round trips are spared only because MariaDB
    already gives each connection utf8mb4 and a sql_mode without the modes wpdb refuses:
    the three go together."""
    requirements = rendered_project / "srcs" / "requirements"
    cnf = (requirements / "mariadb" / "conf" / "60-inception.cnf").read_text()
    assert "character-set-server = utf8mb4" in cnf and "character-set-client-handshake = OFF" in cnf
    modes = re.search(r'^sql_mode = "([A-Z_,]*)"$', cnf, re.M).group(1).split(",")
    # wpdb's $incompatible_modes; NO_AUTO_CREATE_USER stays (a GRANT creates no user).
    assert not set(modes) & {"NO_ZERO_DATE", "ONLY_FULL_GROUP_BY", "STRICT_TRANS_TABLES", "STRICT_ALL_TABLES",
                             "TRADITIONAL", "ANSI"}, modes
    assert "NO_AUTO_CREATE_USER" in modes and "NO_ENGINE_SUBSTITUTION" in modes, modes
    assert "define('DB_CHARSET', '');" in (requirements / "wordpress" / "tools" / "wp-setup.php").read_text()
    drop_in = (requirements / "wordpress" / "tools" / "db.php").read_text()
    assert "class Inception_DB extends wpdb" in drop_in and "$wpdb = new Inception_DB(" in drop_in
    assert "tools/db.php" in (requirements / "wordpress" / "Dockerfile").read_text()
    assert '"$WP_DIR/wp-content/db.php"' in (requirements / "wordpress" / "tools" / "entrypoint.sh").read_text()


SECURITY_HEADERS = ('Strict-Transport-Security "max-age=63072000"', "X-Content-Type-Options nosniff",
                    "X-Frame-Options SAMEORIGIN", "Content-Security-Policy \"frame-ancestors 'self'\"",
                    "Referrer-Policy strict-origin-when-cross-origin")


def nginx_blocks(conf):
    """Every block of an nginx configuration as (header, directives, children), the file
    itself first (header ''); enough of nginx's syntax for our own files (one directive or
    block opening per line, no brace inside a value)."""
    root = ("", [], [])
    stack = [root]
    for raw in conf.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("{"):
            block = (line[:-1].strip(), [], [])
            stack[-1][2].append(block)
            stack.append(block)
        elif line == "}":
            stack.pop()
        else:
            stack[-1][1].append(line.rstrip(";"))
    assert len(stack) == 1, "unbalanced braces"
    found = []

    def walk(block):
        found.append(block)
        for child in block[2]:
            walk(child)

    walk(root)
    return found


def nginx_confs():
    """The nginx configuration of the default render (every bonus server) and without the page cache."""
    return pytest.mark.parametrize("project", ["rendered_project", "rendered_project_without_page_cache"])


@nginx_confs()
def test_every_nginx_server_sends_the_security_headers(request, project):
    """nginx inherits add_header only into blocks that have none of their own: every
    server sends the five headers, and so does every block that adds another header."""
    conf, _ = nginx_context(request.getfixturevalue(project))
    blocks = nginx_blocks(conf)
    servers = [b for b in blocks if b[0] == "server"]
    assert len(servers) >= 2 + 4, "the catch-all, the main server and the bonus ones (website, adminer, monitoring, stub_status)"
    for header, directives, _ in blocks:
        adds = [d for d in directives if d.startswith("add_header ")]
        if "ssl_reject_handshake on" in directives:
            continue  # the catch-all refuses the handshake: it never sends an HTTP answer
        if header == "server" or adds:
            for wanted in SECURITY_HEADERS:
                assert "add_header %s always" % wanted in adds, "%r lacks %s: %s" % (header, wanted, adds)


def main_server(conf):
    return next(b for b in nginx_blocks(conf) if b[0] == "server" and "server_name wil.42.fr" in b[1])


def servers_on_443(conf):
    return [b for b in nginx_blocks(conf) if b[0] == "server" and any(d.startswith("listen 443 ") for d in b[1])]


@nginx_confs()
def test_catch_all_refuses_the_handshake_of_unknown_names(request, project):
    """The default server of 443 (the one a client without SNI, or naming another host,
    reaches) refuses the TLS handshake, holds no certificate and offers the site's TLS settings."""
    conf, _ = nginx_context(request.getfixturevalue(project))
    servers = servers_on_443(conf)
    defaults = [s for s in servers if "listen 443 ssl http2 default_server" in s[1]]
    assert len(defaults) == 1, "exactly one default server on 443"
    catch_all = defaults[0][1]
    assert "listen [::]:443 ssl http2 default_server" in catch_all
    assert "ssl_reject_handshake on" in catch_all
    assert "server_name _" in catch_all
    assert not [d for d in catch_all if d.startswith(("ssl_certificate", "location", "return", "root"))], catch_all
    site = main_server(conf)[1]
    for setting in ("ssl_protocols", "ssl_ciphers", "ssl_prefer_server_ciphers", "ssl_session_tickets"):
        assert [d for d in catch_all if d.startswith(setting + " ")] == [d for d in site if d.startswith(setting + " ")], setting
    assert "ssl_protocols TLSv1.2 TLSv1.3" in catch_all
    # The server's order (all ECDHE with AEAD, strongest first for its key): testssl.sh grades
    # a server that lets the client choose as HIGH.
    assert "ssl_prefer_server_ciphers on" in catch_all


@nginx_confs()
def test_site_and_bonus_servers_keep_their_names_and_certificate(request, project):
    conf, _ = nginx_context(request.getfixturevalue(project))
    named = [s for s in servers_on_443(conf) if "ssl_reject_handshake on" not in s[1]]
    names = sorted(d.split()[1] for s in named for d in s[1] if d.startswith("server_name "))
    assert names == ["adminer.wil.42.fr", "monitoring.wil.42.fr", "website.wil.42.fr", "wil.42.fr"]
    for server in named:
        assert not any("default_server" in d for d in server[1]), server[1]
        assert "ssl_certificate /run/secrets/tls_certificate" in [" ".join(d.split()) for d in server[1]]
        assert "ssl_reject_handshake on" not in server[1]


def location_for(server, uri):
    """The location nginx picks for uri: an exact match, else the first regex that matches
    (our servers have no ^~ prefix), else the prefix location."""
    locations = [b for b in server[2] if b[0].startswith("location ")]
    for header, directives, _ in locations:
        if header == "location = %s" % uri:
            return header, directives
    for header, directives, _ in locations:
        kind, _, pattern = header[len("location "):].partition(" ")
        if kind in ("~", "~*") and re.search(pattern, uri, re.I if kind == "~*" else 0):
            return header, directives
    return next((h, d) for h, d, _ in locations if h == "location /")


@nginx_confs()
def test_xmlrpc_is_refused_and_php_under_uploads_is_never_run(request, project):
    conf, _ = nginx_context(request.getfixturevalue(project))
    server = main_server(conf)
    for uri in ("/xmlrpc.php", "/wp-content/uploads/2024/05/shell.php", "/wp-content/uploads/inception-ftp/x.PHP"):
        header, directives = location_for(server, uri)
        assert directives == ["return 403"], "%s goes to %r: %s" % (uri, header, directives)
    # What the site and the evaluation need still reaches PHP, or is served as a file.
    for uri in ("/index.php", "/wp-login.php", "/wp-comments-post.php", "/wp-admin/post.php",
                "/wp-content/plugins/some/file.php"):
        header, directives = location_for(server, uri)
        assert "fastcgi_pass wordpress:9000" in directives, "%s goes to %r" % (uri, header)
    for uri in ("/wp-content/uploads/inception-ftp/inception-ftp-1234abcd.txt", "/wp-content/uploads/2024/05/photo.jpg"):
        assert location_for(server, uri)[0] == "location /", uri


def test_new_wp_config_disallows_the_file_editor(rendered_project, tmp_path):
    """write_config() of wp-setup.php, run alone against a scratch directory: the
    wp-config.php it writes turns the theme/plugin editor off before loading WordPress."""
    script = (rendered_project / "srcs" / "requirements" / "wordpress" / "tools" / "wp-setup.php").read_text()
    functions = script[:script.index("function check_database")]
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "db_password").write_text("Not-a-real-one-42\n")
    harness = functions.replace("const WP_DIR = '/var/www/html';", "const WP_DIR = %r;" % str(tmp_path)) \
                       .replace("const SECRETS = '/run/secrets';", "const SECRETS = %r;" % str(tmp_path / "secrets"))
    assert harness.count(str(tmp_path)) == 2, "wp-setup.php no longer defines WP_DIR and SECRETS as before"
    (tmp_path / "harness.php").write_text(harness + "@write_config();\n")
    env = dict(os.environ, MYSQL_DATABASE="wordpress", MYSQL_USER="wpuser", MYSQL_HOST="mariadb:3306")
    proc = subprocess.run([tool("php"), str(tmp_path / "harness.php")], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = (tmp_path / "wp-config.php").read_text()
    assert "define('DISALLOW_FILE_EDIT', true);\n" in config
    assert config.index("DISALLOW_FILE_EDIT") < config.index("require_once ABSPATH . 'wp-settings.php';")
    lint = subprocess.run([tool("php"), "-l", str(tmp_path / "wp-config.php")], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_tagline_does_not_name_the_administrator(rendered_project):
    script = (rendered_project / "srcs" / "requirements" / "wordpress" / "tools" / "wp-setup.php").read_text()
    admin = re.search(r"^WP_ADMIN_USER=(.*)$", (rendered_project / "srcs" / ".env").read_text(), re.M).group(1)
    tagline = re.search(r"^const TAGLINE = '([^']*)';$", script, re.M)
    assert tagline and admin.lower() not in tagline.group(1).lower(), tagline
    # Every tagline wp-setup.php writes is that constant: none is built from the admin's name.
    writes = re.findall(r"update_option\('blogdescription', ([^;]*)\);", script)
    assert writes and set(writes) == {"TAGLINE"}, writes


def certificate(project):
    """The rendered certificate's SHA-256 fingerprint and validity in days."""
    path = project / "secrets" / "tls" / "wil.42.fr.crt"
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-startdate", "-enddate", "-in", str(path)],
                         capture_output=True, text=True, check=True).stdout
    fields = dict(line.split("=", 1) for line in out.splitlines())
    dates = [datetime.datetime.strptime(fields[name], "%b %d %H:%M:%S %Y GMT") for name in ("notBefore", "notAfter")]
    return fields["sha256 Fingerprint"], (dates[1] - dates[0]).days


def test_certificate_is_valid_for_at_most_398_days(rendered_project):
    assert certificate(rendered_project)[1] == 398


def test_certificate_is_kept_while_valid_and_renewed_before_it_expires(tmp_path_factory):
    short = '{"inception_project_tls_days": 10, "inception_project_tls_renew_days": 5}'
    project = render_into(tmp_path_factory.mktemp("tls") / "inception", short)
    first = certificate(project)
    assert first[1] == 10
    assert certificate(render_into(project, short)) == first, "a valid certificate was replaced"
    # With the defaults, 10 days left is within the 30-day renewal window: renewed, for 398 days.
    renewed = certificate(render_into(project))
    assert renewed[0] != first[0] and renewed[1] == 398
    assert certificate(render_into(project)) == renewed, "a fresh certificate was replaced"
    # A certificate valid for longer than 398 days (the 825 of earlier versions) is replaced.
    tls = project / "secrets" / "tls"
    subprocess.run(["openssl", "req", "-x509", "-key", str(tls / "wil.42.fr.key"), "-out", str(tls / "wil.42.fr.crt"),
                    "-days", "825", "-subj", "/CN=wil.42.fr", "-addext", "subjectAltName=DNS:wil.42.fr"],
                   capture_output=True, check=True)
    assert certificate(project)[1] == 825
    assert certificate(render_into(project))[1] == 398


def issuer(project):
    path = project / "secrets" / "tls" / "wil.42.fr.crt"
    return subprocess.run(["openssl", "x509", "-noout", "-issuer", "-in", str(path)],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_local_ca_signs_the_certificate_once_and_is_reused(tmp_path_factory):
    """inception_project_tls_ca: a CA made once on the controller (key 0600) signs each VM's
    certificate; a run keeps it, another VM reuses the same CA, and switching the CA off or on
    re-issues the certificate once."""
    ca_dir = tmp_path_factory.mktemp("controller") / "ca"
    with_ca = '{"inception_project_tls_ca": true, "inception_project_tls_ca_dir": "%s"}' % ca_dir
    project = render_into(tmp_path_factory.mktemp("ca-vm1") / "inception", with_ca)
    assert stat.S_IMODE((ca_dir / "ca.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(ca_dir.stat().st_mode) == 0o700
    ca_text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", str(ca_dir / "ca.crt")],
                             capture_output=True, text=True, check=True).stdout
    assert "CA:TRUE, pathlen:0" in ca_text and "Permitted:" in ca_text and "DNS:42.fr" in ca_text
    # No IP address either: a name type left unconstrained would be open to a stolen key.
    assert "Excluded:" in ca_text and "IP:0.0.0.0/0.0.0.0" in ca_text, ca_text
    ca_before = (ca_dir / "ca.crt").read_bytes(), (ca_dir / "ca.key").read_bytes()
    crt = project / "secrets" / "tls" / "wil.42.fr.crt"
    verify = ["openssl", "verify", "-CAfile", str(ca_dir / "ca.crt"), str(crt)]
    assert subprocess.run(verify, capture_output=True).returncode == 0
    signed = certificate(project)
    assert signed[1] == 398 and "42 Inception local CA" in issuer(project)
    assert certificate(render_into(project, with_ca)) == signed, "a CA-signed certificate was replaced"
    # Another VM (another project) is signed by the same CA, which stays as it was.
    other = render_into(tmp_path_factory.mktemp("ca-vm2") / "inception", with_ca)
    assert subprocess.run(verify[:-1] + [str(other / "secrets" / "tls" / "wil.42.fr.crt")], capture_output=True).returncode == 0
    assert ((ca_dir / "ca.crt").read_bytes(), (ca_dir / "ca.key").read_bytes()) == ca_before
    # Off: self-signed again, once.
    selfsigned = certificate(render_into(project))
    assert selfsigned[0] != signed[0] and "42 Inception local CA" not in issuer(project)
    assert subprocess.run(verify, capture_output=True).returncode != 0
    assert certificate(render_into(project)) == selfsigned
    # On again: signed by the same CA, once.
    resigned = certificate(render_into(project, with_ca))
    assert resigned[0] not in (selfsigned[0], signed[0])
    assert subprocess.run(verify, capture_output=True).returncode == 0
