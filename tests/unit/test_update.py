"""Security updates: playbooks/update.yml forces the base image's rebuild and rolls the
stack, its filters read the packages, the pending updates and the changes right, and
`make update` exists at the top level and in the rendered project."""

import os
import re

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from module_runner import ROOT, load_filters

FILTERS = load_filters("inception_stack", "inception_stack_packages")

SNAPSHOT = """== debian:bookworm
libc6 2.36-9+deb12u9
libssl3 3.0.15-1~deb12u1
== wordpress:1.0
libc6 2.36-9+deb12u9
php8.2-fpm 8.2.26-1~deb12u1
wordpress-core 6.1.7
== nginx:1.0
nginx 1.22.1-9+deb12u1
"""
POLICY = """libc6:
  Installed: (none)
  Candidate: 2.36-9+deb12u10
  Version table:
     2.36-9+deb12u10 500
libssl3:
  Installed: (none)
  Candidate: 3.0.15-1~deb12u1
nginx:
  Installed: (none)
  Candidate: 1.22.1-9+deb12u1
php8.2-fpm:
  Installed: (none)
  Candidate: 8.2.28-1~deb12u1
wordpress:
  Installed: (none)
  Candidate: 6.1.9+dfsg1-0+deb12u1
"""


def load(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_the_snapshot_is_read_per_image():
    images = FILTERS["inception_stack_packages"](SNAPSHOT)
    assert list(images) == ["debian:bookworm", "wordpress:1.0", "nginx:1.0"]
    assert images["wordpress:1.0"] == {"libc6": "2.36-9+deb12u9", "php8.2-fpm": "8.2.26-1~deb12u1",
                                       "wordpress-core": "6.1.7"}
    assert FILTERS["inception_stack_package_names"](images) == [
        "libc6", "libssl3", "nginx", "php8.2-fpm", "wordpress"]


def test_pending_updates_name_the_images_with_a_newer_package():
    images = FILTERS["inception_stack_packages"](SNAPSHOT)
    assert FILTERS["inception_stack_pending_updates"](images, POLICY) == {
        "debian:bookworm": ["libc6 2.36-9+deb12u9 -> 2.36-9+deb12u10"],
        "wordpress:1.0": ["libc6 2.36-9+deb12u9 -> 2.36-9+deb12u10",
                          "php8.2-fpm 8.2.26-1~deb12u1 -> 8.2.28-1~deb12u1",
                          "wordpress-core 6.1.7 -> 6.1.9"],
    }
    # Everything at its candidate: nothing pending (a second update rebuilds nothing).
    current = {"nginx:1.0": {"nginx": "1.22.1-9+deb12u1", "unknown-to-apt": "1"},
               "wordpress:1.0": {"wordpress-core": "6.1.9"}}
    assert FILTERS["inception_stack_pending_updates"](current, POLICY) == {}


def test_changes_list_upgrades_additions_and_removals_per_image():
    before = FILTERS["inception_stack_packages"](SNAPSHOT)
    after = FILTERS["inception_stack_packages"](SNAPSHOT.replace("2.36-9+deb12u9", "2.36-9+deb12u10")
                                                .replace("nginx 1.22.1-9+deb12u1\n", "libfoo 2\n"))
    assert FILTERS["inception_stack_package_changes"](before, after) == {
        "debian:bookworm": ["libc6 2.36-9+deb12u9 -> 2.36-9+deb12u10"],
        "wordpress:1.0": ["libc6 2.36-9+deb12u9 -> 2.36-9+deb12u10"],
        "nginx:1.0": ["+ libfoo 2", "- nginx 1.22.1-9+deb12u1"],
    }
    assert FILTERS["inception_stack_package_changes"](before, before) == {}
    report = FILTERS["inception_stack_change_report"](FILTERS["inception_stack_package_changes"](before, after),
                                                      ["debian:bookworm", "wordpress:1.0", "nginx:1.0"])
    assert report == ["libc6 2.36-9+deb12u9 -> 2.36-9+deb12u10 (debian:bookworm, wordpress:1.0)",
                      "+ libfoo 2 (nginx:1.0)", "- nginx 1.22.1-9+deb12u1 (nginx:1.0)"]
    assert FILTERS["inception_stack_change_report"]({"a": ["x 1 -> 2"], "b": ["x 1 -> 2"]}, ["a", "b"]) == [
        "x 1 -> 2 (every image)"]
    assert FILTERS["inception_stack_change_report"]({}, ["a"]) == []


@pytest.mark.parametrize("name, args, message", [
    ("inception_stack_packages", ("libc6 2.36\n",), "line 1 is 'libc6 2.36'"),
    ("inception_stack_packages", (["== a"],), "stdout"),
    ("inception_stack_package_names", ("== a",), "output of inception_stack_packages"),
    ("inception_stack_pending_updates", ({"a": {}}, None), "policy"),
    ("inception_stack_package_changes", ({"a": {}}, ["x"]), "after must be"),
    ("inception_stack_change_report", ({"a": "x 1 -> 2"}, ["a"]), "output of inception_stack_package_changes"),
    ("inception_stack_change_report", ({}, "a"), "images must be the list"),
])
def test_bad_input_is_refused_with_a_clear_sentence(name, args, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        FILTERS[name](*args)


def _update_tasks():
    plays = load("playbooks/update.yml")
    assert plays[0]["ansible.builtin.import_playbook"] == "preflight.yml"
    return plays[1]["tasks"]


def test_update_forces_the_base_image_rebuild_before_rolling_the_stack():
    tasks = _update_tasks()
    roles = [(i, t) for i, t in enumerate(tasks) if "ansible.builtin.import_role" in t]
    assert [t["ansible.builtin.import_role"]["name"] for _, t in roles] == ["base_image", "inception_stack"]
    (base_at, base), (stack_at, stack) = roles
    assert base["vars"]["base_image_refresh"] is True
    # The services with a newer package are rebuilt without the layer cache.
    assert "__update_pending" in stack["vars"]["inception_stack_rebuild"]
    names = [t["name"] for t in tasks]
    before = names.index("Update | Record the packages of each image before")
    after = names.index("Update | Record the packages of each image after")
    assert before < base_at < stack_at < after < names.index("Update | Report which packages changed in each image")


def test_base_image_refresh_reaches_the_module():
    task = load("roles/base_image/tasks/main.yml")[1]
    assert task["debian_rootfs_image"]["refresh"] == "{{ base_image_refresh | bool }}"
    assert task["debian_rootfs_image"]["updates"] == "{{ base_image_updates | bool }}"
    defaults = load("roles/base_image/defaults/main.yml")
    assert defaults["base_image_updates"] is True and defaults["base_image_refresh"] is False


def test_the_stale_logic_compares_the_images_with_the_base_image():
    tasks = {t["name"]: t for t in load("roles/inception_stack/tasks/plan.yml")}
    decide = tasks["Up | Decide which images need a build"]["ansible.builtin.set_fact"]["__inception_stack_stale"]
    assert "inception_stack_stale_images(" in decide and "base=" in decide
    assert "inception_stack_base_image" in decide
    info = tasks["Up | Read the labels and layers of the current images and of the base image"]
    assert "inception_stack_base_image" in info["community.docker.docker_image_info"]["name"]


def test_make_update_runs_the_update_playbook_on_the_inventory():
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as handle:
        makefile = handle.read()
    recipe = re.search(r"^update: .*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "no update target in the Makefile"
    assert "ansible-playbook playbooks/update.yml -i $(INVENTORY)" in recipe.group(1)


def test_the_rendered_make_update_upgrades_the_base_and_rebuilds_without_cache(rendered_project):
    import subprocess
    proc = subprocess.run(["make", "-n", "-C", str(rendered_project), "update"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    commands = proc.stdout
    assert "deb http://deb.debian.org/debian-security bookworm-security main" in commands
    assert "deb http://deb.debian.org/debian bookworm-updates main" in commands
    assert "apt-get -y dist-upgrade" in commands and "docker build -q -t debian:bookworm -" in commands
    assert "docker compose -f srcs/docker-compose.yml build --no-cache" in commands
    assert "docker compose -f srcs/docker-compose.yml up -d --wait" in commands
    # The volumes are kept: nothing removes them or the data directories.
    assert "down" not in commands and "volume" not in commands and "rm -rf $(DATA_DIR)" not in commands
    assert "dpkg-query" in commands and "no package changed" in commands


def test_the_rendered_base_image_script_builds_with_the_security_and_updates_suites(rendered_project):
    script = (rendered_project / "srcs" / "tools" / "base-image.sh").read_text()
    debootstrap = script.index("debootstrap --variant=minbase")
    sources = script.index("deb http://deb.debian.org/debian-security %s-security main")
    upgrade = script.index("apt-get -q -y dist-upgrade")
    assert debootstrap < sources < upgrade < script.rindex("docker import")  # the debootstrapped tree's import
    assert "deb http://deb.debian.org/debian %s-updates main" in script
