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
    assert runs == ['php "$LIB/wp-setup.php" config',
                    'as_www_data php "$LIB/wp-setup.php" install 3< /run/secrets/db_password || status=$?',
                    'as_www_data php "$LIB/wp-setup.php" install passwords 3< /run/secrets/db_password \\'], runs
    # The admin and user passwords are opened for the second run only.
    first, second = (code.index(line) for line in runs[1:])
    assert code[second + 1] == "4< /run/secrets/wp_admin_password 5< /run/secrets/wp_user_password", code[second + 1]
    assert code[second - 1] == 'if [ "$status" -eq "$RUN_AGAIN" ]; then', code[second - 1]
    assert "RUN_AGAIN=10" in code and "const RUN_AGAIN = 10;" in (tools / "wp-setup.php").read_text()
    assert sum("/run/secrets/wp_admin_password" in line for line in code) == 1
    assert code[-1] == 'exec setpriv --reuid=www-data --regid=www-data --init-groups --inh-caps=-all "$@"'
    # Root never follows a link in the volume: no recursive chown/chmod that dereferences.
    for line in code:
        if re.search(r"\b(chown|chmod)\b.*\s-R\b|\bfind\b(?!\s+-P)", line):
            pytest.fail("a recursive operation that may follow links: %s" % line)
    conf = (rendered_project / "srcs" / "requirements" / "wordpress" / "conf" / "www.conf").read_text()
    assert not re.search(r"^\s*(user|group)\s*=", conf, re.M), "php-fpm no longer starts as root"
    setup = (tools / "wp-setup.php").read_text()
    assert "define('DISALLOW_FILE_MODS', true);" in setup


WP_GID, CONFIG_GID = 33, 989  # www-data; wpconfig (the wordpress image's group of wp-config.php)


def entrypoint_part(project, tmp_path, site, src, package):
    """The entrypoint up to the drop-ins, on site (the volume) from src (the image's WordPress),
    the package version in the file package; wp-config.php's group by number (the host has no
    wpconfig group)."""
    entrypoint = (project / "srcs" / "requirements" / "wordpress" / "tools" / "entrypoint.sh").read_text()
    part = entrypoint[:entrypoint.index("# Drop-ins and the must-use plugin")]
    for old, new in (("WP_DIR=/var/www/html", "WP_DIR=%s" % site), ("SRC=/usr/src/wordpress", "SRC=%s" % src),
                     ("SRC_PACKAGE=/usr/src/wordpress-package-version", "SRC_PACKAGE=%s" % package),
                     ("CONFIG_GROUP=wpconfig", "CONFIG_GROUP=%d" % CONFIG_GID)):
        assert old in part, old
        part = part.replace(old, new)
    (tmp_path / "part.sh").write_text(part)
    return tmp_path / "part.sh"


def fake_wordpress(root, version, marker=None):
    (root / "wp-includes").mkdir(parents=True)
    (root / "wp-includes" / "version.php").write_text("<?php\n$wp_version = '%s';\n" % version)
    (root / "wp-content" / "themes" / "twentytwentyone").mkdir(parents=True)
    (root / "wp-content" / "themes" / "twentytwentyone" / "style.css").write_text("/* %s */\n" % version)
    (root / "index.php").write_text("<?php // %s\n" % version)


def run_as_wordpress_root(script):
    """script as the wordpress container's root: CAP_CHOWN, CAP_SETUID, CAP_SETGID only (no
    CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH or CAP_FOWNER)."""
    return subprocess.run(["setpriv", "--bounding-set=-all,+chown,+setuid,+setgid", "sh", str(script)],
                          capture_output=True, text=True, check=False)


def readable_by(path, uid, gid, groups):
    """Whether uid (gid, groups) can read path: from its directory (pytest's tmp directories
    above it are root's 0700), so its own permissions and its directory's decide."""
    argv = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid,
            "--groups=%s" % ",".join(map(str, groups)) if groups else "--clear-groups", "cat", "./" + path.name]
    return subprocess.run(argv, capture_output=True, check=False, cwd=path.parent).returncode == 0


needs_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not shutil.which("dpkg"),
                                reason="needs root, setpriv and dpkg")


@needs_root
def test_wordpress_entrypoint_migrates_an_old_site_without_dac_capabilities(rendered_project, tmp_path):
    """A site installed by an earlier version (every file www-data's, a 0700 directory with a
    0600 file and a link in it, links elsewhere in the code, a 0777 directory, no package
    record), run by root with the container's three capabilities: every link outside uploads
    removed and logged (targets untouched), the code root's and readable by www-data, writable
    by root only, uploads and its links untouched, wp-config.php root:wpconfig 0640 (www-data
    reads it, uid/gid 33 without the wpconfig group does not), the package recorded."""
    site, src, outside = tmp_path / "html", tmp_path / "src", tmp_path / "outside"
    fake_wordpress(site, "6.1.1")
    fake_wordpress(src, "6.1.1")
    (tmp_path / "package").write_text("6.1.1+dfsg1-0+deb12u1\n")
    script = entrypoint_part(rendered_project, tmp_path, site, src, tmp_path / "package")
    uploads = site / "wp-content" / "uploads"
    (uploads / "2024").mkdir(parents=True)
    (uploads / "2024" / "photo.jpg").write_text("jpeg")
    (uploads / "2024" / "link").symlink_to("/etc/hostname")
    (site / "wp-config.php").write_text("<?php // config\n")
    private = site / "wp-content" / "plugins" / "private"
    private.mkdir(parents=True)
    (private / "p.php").write_text("<?php // private\n")
    (private / "link").symlink_to("/etc")
    outside.write_text("not WordPress's")
    (site / "wp-content" / "themes" / "evil").symlink_to(outside)
    (site / "index-link.php").symlink_to(site / "wp-config.php")
    (site / "wp-admin").mkdir()
    for path in [site] + list(site.rglob("*")):
        os.chown(path, WP_GID, WP_GID, follow_symlinks=False)
    os.chown(outside, WP_GID, WP_GID)
    os.chmod(private / "p.php", 0o600)
    os.chmod(private, 0o700)
    os.chmod(site / "wp-admin", 0o777)

    proc = run_as_wordpress_root(script)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for link, target in ((private / "link", "/etc"), (site / "wp-content" / "themes" / "evil", str(outside)),
                         (site / "index-link.php", str(site / "wp-config.php"))):
        assert not os.path.lexists(link), link
        assert "removing the symbolic link %s -> %s" % (link, target) in proc.stdout, proc.stdout
    assert outside.read_text() == "not WordPress's" and outside.stat().st_uid == WP_GID, "a link was followed"
    assert os.readlink(uploads / "2024" / "link") == "/etc/hostname", "root touched what is inside uploads"
    assert "gave " in proc.stdout and "to root" in proc.stdout
    for path in [site] + [p for p in site.rglob("*") if uploads not in p.parents and p != uploads]:
        mode = os.lstat(path).st_mode
        assert not os.path.islink(path), path
        if path.name == "wp-config.php":
            assert (os.lstat(path).st_uid, os.lstat(path).st_gid, mode & 0o777) == (0, CONFIG_GID, 0o640)
            continue
        assert (os.lstat(path).st_uid, os.lstat(path).st_gid) == (0, 0), path
        assert not mode & 0o022, "%s is %o" % (path, mode)
        assert mode & 0o004 and (not os.path.isdir(path) or mode & 0o001), "%s is %o" % (path, mode)
    for path in (uploads, uploads / "2024" / "photo.jpg"):
        assert path.stat().st_uid == WP_GID, path
    assert readable_by(private / "p.php", WP_GID, WP_GID, [WP_GID])
    assert readable_by(site / "wp-config.php", WP_GID, WP_GID, [WP_GID, CONFIG_GID]), "php-fpm cannot read it"
    assert not readable_by(site / "wp-config.php", WP_GID, WP_GID, [WP_GID]), "the FTP account reads wp-config.php"
    # Same $wp_version, no record, a +debNuM package in the image: copied once, then recorded.
    assert "to package 6.1.1+dfsg1-0+deb12u1" in proc.stdout, proc.stdout
    assert (site / ".inception-wordpress-package").read_text() == "6.1.1+dfsg1-0+deb12u1\n"
    # A restart changes nothing and says nothing.
    proc = run_as_wordpress_root(script)
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


@needs_root
@pytest.mark.parametrize("site_version, recorded, image_version, package, expected", [
    ("6.1.1", None, "6.1.10", "6.1.10+dfsg1-0+deb12u1", "updating WordPress 6.1.1 to 6.1.10"),
    ("6.1.10", None, "6.1.9", "6.1.9+dfsg1-0+deb12u1", "keeping WordPress 6.1.10: the image has 6.1.9, never a downgrade"),
    ("6.1.9", "6.1.9+dfsg1-0+deb12u1", "6.1.9", "6.1.9+dfsg1-0+deb12u2",
     "updating WordPress 6.1.9 from package 6.1.9+dfsg1-0+deb12u1 to 6.1.9+dfsg1-0+deb12u2"),
    ("6.1.9", "6.1.9+dfsg1-0+deb12u3", "6.1.9", "6.1.9+dfsg1-0+deb12u2",
     "keeping WordPress 6.1.9 from package 6.1.9+dfsg1-0+deb12u3: the image has 6.1.9+dfsg1-0+deb12u2, never a downgrade"),
    ("6.1.9", None, "6.1.9", "6.1.9+dfsg1-1", None),
])
def test_wordpress_entrypoint_updates_to_a_newer_version_or_debian_revision_only(
        rendered_project, tmp_path, site_version, recorded, image_version, package, expected):
    site, src = tmp_path / "html", tmp_path / "src"
    fake_wordpress(site, site_version)
    fake_wordpress(src, image_version)
    (src / "wp-content" / "themes" / "newtheme").mkdir()
    (site / "wp-content" / "themes" / "mine").mkdir()
    (site / "wp-config.php").write_text("<?php // config\n")
    if recorded:
        (site / ".inception-wordpress-package").write_text(recorded + "\n")
    (tmp_path / "package").write_text(package + "\n")
    proc = run_as_wordpress_root(entrypoint_part(rendered_project, tmp_path, site, src, tmp_path / "package"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    updated = expected is not None and expected.startswith("updating")
    if expected:
        assert expected in proc.stdout, proc.stdout
    else:
        assert "updating" not in proc.stdout and "keeping" not in proc.stdout, proc.stdout
    assert (site / "index.php").read_text() == "<?php // %s\n" % (image_version if updated else site_version)
    assert (site / "wp-content" / "themes" / "mine").is_dir(), "the site's own theme was lost"
    assert (site / "wp-content" / "themes" / "newtheme").is_dir() is updated
    # The record follows the copy; an unrecorded site of the same version and a first upload
    # (no +debNuM) keeps its code and records the image's package as a lower bound; a newer
    # site than the image stays unrecorded.
    marker = site / ".inception-wordpress-package"
    if not updated and not recorded and site_version != image_version:
        assert not marker.exists()
    else:
        assert marker.read_text() == ((recorded or package) if not updated else package) + "\n"
    if updated:  # the same start again: nothing more to do
        proc = run_as_wordpress_root(entrypoint_part(rendered_project, tmp_path, site, src, tmp_path / "package"))
        assert proc.returncode == 0 and "updating" not in proc.stdout, proc.stdout + proc.stderr


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
