"""Least privilege of the rendered stack: capabilities, no-new-privileges, read-only roots,
limits, networks, and the WordPress code not writable by PHP (issue 10, items 1-3)."""

import os
import re
import shutil
import subprocess

import pytest
import yaml

# The capabilities each service may keep, at most (see the role README, "Least privilege").
CAPS = {
    "mariadb": {"CHOWN", "SETGID", "SETUID"},
    "wordpress": {"CHOWN", "SETGID", "SETUID"},
    "nginx": {"CHOWN", "NET_BIND_SERVICE", "SETGID", "SETUID"},
    "redis": {"CHOWN", "SETGID", "SETUID"},
    "ftp": {"AUDIT_WRITE", "CHOWN", "NET_BIND_SERVICE", "SETGID", "SETUID", "SYS_CHROOT"},
    "website": set(),
    "adminer": set(),
    "monitoring": {"CHOWN", "SETGID", "SETUID"},
    "node-exporter": set(),
    "nginx-exporter": set(),
    "mysqld-exporter": {"CHOWN", "SETGID", "SETUID"},
    "redis-exporter": {"SETGID", "SETUID"},
}
# Services whose root filesystem is read-only: all but ftp (it rewrites /etc/passwd and /etc/shadow).
READ_ONLY = set(CAPS) - {"ftp"}


def compose_of(project):
    return yaml.safe_load((project / "srcs" / "docker-compose.yml").read_text())


def test_every_service_drops_all_capabilities_and_gains_no_privilege(rendered_project):
    services = compose_of(rendered_project)["services"]
    assert set(services) == set(CAPS), "a service without its least-privilege entry here: %s" % sorted(services)
    for name, service in services.items():
        assert service.get("cap_drop") == ["ALL"], name
        assert set(service.get("cap_add", [])) <= CAPS[name], "%s adds %s" % (name, service.get("cap_add"))
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert service.get("privileged") is not True, name
        assert "network_mode" not in service, name


def test_read_only_roots_and_limits(rendered_project):
    services = compose_of(rendered_project)["services"]
    for name, service in services.items():
        assert service.get("read_only", False) is (name in READ_ONLY), name
        assert re.fullmatch(r"[1-9][0-9]*[kmg]", str(service.get("mem_limit", ""))), name
        assert isinstance(service.get("pids_limit"), int) and service["pids_limit"] > 0, name


def test_database_and_fastcgi_are_only_on_internal_networks_the_vm_has_no_address_on(rendered_project):
    compose = compose_of(rendered_project)
    networks, services = compose["networks"], compose["services"]
    assert networks["inception"]["name"] == "inception", "the 42 scale looks for a network named inception"
    internal = {key for key, net in networks.items()
                if net.get("internal") is True
                and net.get("driver_opts", {}).get("com.docker.network.bridge.inhibit_ipv4") == "true"}
    for name in ("mariadb", "wordpress", "redis", "adminer", "website", "monitoring"):
        assert set(services[name]["networks"]) <= internal, "%s on %s" % (name, services[name]["networks"])
    # Only the services that publish a port are on the network the VM has an address on.
    assert {n for n, s in services.items() if "inception" in s["networks"]} == {"nginx", "ftp"}
    assert {n for n, s in services.items() if "ports" in s} == {"nginx", "ftp"}
    # Who can reach MariaDB and php-fpm's 9000.
    assert {n for n, s in services.items() if "database" in s["networks"]} == \
        {"mariadb", "wordpress", "adminer", "mysqld-exporter"}
    assert {n for n, s in services.items() if "fastcgi" in s["networks"]} == {"nginx", "wordpress"}
    assert {n for n, s in services.items() if "cache" in s["networks"]} == {"redis", "wordpress", "redis-exporter"}


def test_each_secret_is_mounted_only_where_it_is_read(rendered_project):
    services = compose_of(rendered_project)["services"]
    mounted = {name: set(service.get("secrets", [])) for name, service in services.items()}
    assert mounted["nginx"] == {"tls_certificate", "tls_key", "monitoring_auth"}
    assert mounted["wordpress"] == {"db_password", "wp_admin_password", "wp_user_password", "redis_password"}
    assert "db_root_password" not in set().union(*(v for k, v in mounted.items() if k != "mariadb"))
    for name in ("website", "adminer", "monitoring", "node-exporter", "nginx-exporter"):
        assert not mounted[name], name


def test_wordpress_setup_and_php_fpm_run_as_www_data(rendered_project):
    tools = rendered_project / "srcs" / "requirements" / "wordpress" / "tools"
    entrypoint = (tools / "entrypoint.sh").read_text()
    code = [line.strip() for line in entrypoint.splitlines() if line.strip() and not line.strip().startswith("#")]
    runs = [line for line in code if "wp-setup.php" in line]
    assert runs == ['php "$LIB/wp-setup.php" config', 'as_www_data php "$LIB/wp-setup.php" install \\'], runs
    assert code[-1] == 'exec setpriv --reuid=www-data --regid=www-data --init-groups --inh-caps=-all "$@"'
    # Root never follows a link in the volume: no recursive chown/chmod that dereferences.
    for line in code:
        if re.search(r"\b(chown|chmod)\b.*\s-R\b|\bfind\b(?!\s+-P)", line):
            pytest.fail("a recursive operation that may follow links: %s" % line)
    conf = (rendered_project / "srcs" / "requirements" / "wordpress" / "conf" / "www.conf").read_text()
    assert not re.search(r"^\s*(user|group)\s*=", conf, re.M), "php-fpm no longer starts as root"
    setup = (tools / "wp-setup.php").read_text()
    assert "define('DISALLOW_FILE_MODS', true);" in setup


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_wordpress_entrypoint_gives_the_code_to_root_and_updates_only_to_a_newer_version(rendered_project, tmp_path):
    """The entrypoint's first part on a fake site installed by an earlier version (every file
    www-data's, an older $wp_version, a link planted in wp-content): code to root, uploads
    kept www-data's, the link not followed, core replaced, wp-content kept."""
    entrypoint = (rendered_project / "srcs" / "requirements" / "wordpress" / "tools" / "entrypoint.sh").read_text()
    part = entrypoint[:entrypoint.index("# wp-config.php: written once")]
    site, src, outside = tmp_path / "html", tmp_path / "src", tmp_path / "outside"
    for root, version in ((site, "6.1.1"), (src, "6.1.10")):
        (root / "wp-includes").mkdir(parents=True)
        (root / "wp-includes" / "version.php").write_text("<?php\n$wp_version = '%s';\n" % version)
        (root / "wp-content" / "themes").mkdir(parents=True)
        (root / "index.php").write_text("<?php // %s\n" % version)
    (site / "wp-content" / "uploads").mkdir()
    (site / "wp-content" / "uploads" / "photo.jpg").write_text("jpeg")
    (site / "wp-content" / "themes" / "mine").mkdir()
    (site / "wp-config.php").write_text("<?php // config\n")
    outside.write_text("not WordPress's")
    (site / "wp-content" / "evil").symlink_to(outside)
    for path in [site] + list(site.rglob("*")):
        os.chown(path, 33, 33, follow_symlinks=False)
    os.chown(outside, 33, 33)
    script = part.replace("WP_DIR=/var/www/html", "WP_DIR=%s" % site).replace("SRC=/usr/src/wordpress", "SRC=%s" % src)
    (tmp_path / "part.sh").write_text(script)
    proc = subprocess.run(["sh", str(tmp_path / "part.sh")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "updating WordPress 6.1.1 to 6.1.10" in proc.stdout
    assert (site / "index.php").read_text() == "<?php // 6.1.10\n"
    assert (site / "wp-content" / "themes" / "mine").is_dir()
    for path in (site, site / "index.php", site / "wp-content", site / "wp-content" / "themes" / "mine"):
        assert (path.stat().st_uid, path.stat().st_gid) == (0, 0), path
    assert os.lstat(site / "wp-content" / "evil").st_uid == 0
    assert outside.stat().st_uid == 33, "root followed a link planted in the volume"
    for path in (site / "wp-content" / "uploads", site / "wp-content" / "uploads" / "photo.jpg"):
        assert path.stat().st_uid == 33, path
    # Never a downgrade: the image's version is now older than the site's.
    (src / "wp-includes" / "version.php").write_text("<?php\n$wp_version = '6.1.9';\n")
    (src / "index.php").write_text("<?php // 6.1.9\n")
    proc = subprocess.run(["sh", str(tmp_path / "part.sh")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "never a downgrade" in proc.stdout
    assert (site / "index.php").read_text() == "<?php // 6.1.10\n"


@pytest.mark.parametrize("limits, wrong", [
    ({"mariadb": {"memory": "384m", "pids": 200}}, "inception_project_limits['wordpress']"),
    ("lots", "inception_project_limits"),
])
def test_bad_limits_are_refused_naming_the_variable(run_validate, limits, wrong):
    rc, out = run_validate({"inception_project_limits": limits, "inception_bonus": []})
    assert rc != 0
    assert wrong in out


def test_bad_limit_value_is_refused(run_validate):
    defaults = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "..", "..", "roles", "inception_project",
                                                "defaults", "main.yml"), encoding="utf-8"))
    limits = defaults["inception_project_limits"]
    limits["nginx"]["memory"] = "lots"
    rc, out = run_validate({"inception_project_limits": limits, "inception_bonus": []})
    assert rc != 0
    assert "inception_project_limits['nginx']" in out and "256m" in out


def test_exporters_that_read_no_secret_start_as_nobody_with_no_capability(rendered_project):
    services = compose_of(rendered_project)["services"]
    for name in ("node-exporter", "nginx-exporter"):
        assert services[name].get("user") == "65534:65534", name
        assert "cap_add" not in services[name], name
        assert not services[name].get("secrets"), name
    # The ones that read a root-only secret start as root (to read it), then drop.
    for name in ("mysqld-exporter", "redis-exporter"):
        assert "user" not in services[name], name
        assert {"SETGID", "SETUID"} <= set(services[name]["cap_add"]), name


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_exporter_entrypoint_runs_the_exporter_as_it_is_when_started_as_nobody(rendered_project):
    """Started as nobody with no capability (no setpriv possible), the entrypoint execs its
    arguments; started as root, it drops to nobody."""
    script = (rendered_project / "srcs" / "requirements" / "bonus" / "monitoring" / "tools"
              / "exporter-entrypoint.sh").read_text()
    # The script on stdin: nobody may not traverse pytest's temporary directories.
    as_nobody = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
         "sh", "-s", "sh", "-c", "id -u; grep ^CapEff /proc/self/status"],
        input=script, capture_output=True, text=True, check=False)
    assert as_nobody.returncode == 0, as_nobody.stdout + as_nobody.stderr
    assert as_nobody.stdout.split("\n")[0] == "65534"
    assert as_nobody.stdout.split()[-1].strip("0") == "", as_nobody.stdout
    as_root = subprocess.run(["sh", "-s", "id", "-u"], input=script, capture_output=True, text=True, check=False)
    assert (as_root.returncode, as_root.stdout.strip()) == (0, "65534"), as_root.stdout + as_root.stderr
