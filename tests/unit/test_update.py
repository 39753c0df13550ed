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
    # An image that records the package's version: a Debian revision of the same WordPress
    # is an update too.
    recorded = {"wordpress:1.0": {"wordpress": "6.1.9+dfsg1-0+deb12u0"}}
    assert FILTERS["inception_stack_pending_updates"](recorded, POLICY) == {
        "wordpress:1.0": ["wordpress 6.1.9+dfsg1-0+deb12u0 -> 6.1.9+dfsg1-0+deb12u1"]}
    recorded["wordpress:1.0"]["wordpress"] = "6.1.9+dfsg1-0+deb12u1"
    assert FILTERS["inception_stack_pending_updates"](recorded, POLICY) == {}


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
    assert [t["ansible.builtin.import_role"]["name"] for _, t in roles] == ["base_image"]
    (base_at, base), = roles
    assert base["vars"]["base_image_refresh"] is True
    rollouts = [(i, t) for i, t in enumerate(tasks) if t.get("ansible.builtin.import_tasks") == "tasks/update_rollout.yml"]
    assert len(rollouts) == 1
    (stack_at, stack), = rollouts
    # The services with a newer package are rebuilt without the layer cache.
    assert "__update_pending" in stack["vars"]["__update_rebuild"]
    names = [t["name"] for t in tasks]
    before = names.index("Update | Record the packages of each image before")
    after = names.index("Update | Record the packages of each image after")
    assert before < base_at < stack_at < after < names.index("Update | Report which packages changed in each image")


def test_update_backs_up_by_default_where_backup_yml_writes():
    play = load("playbooks/update.yml")[1]
    assert play["vars"]["inception_update_backup"] is True
    assert play["vars"]["inception_backup_dir"] == load("playbooks/backup.yml")[1]["vars"]["inception_backup_dir"]
    assert "__update_backup_dest" in play["tasks"][-1]["vars"]["__update_report"]
    # backup.yml and the update take the backup with the same tasks.
    backup = load("playbooks/backup.yml")[1]["tasks"]
    assert [t.get("ansible.builtin.import_tasks") for t in backup] == ["tasks/backup.yml"]


def _rollout():
    return {t["name"]: t for t in load("playbooks/tasks/update_rollout.yml")}


def test_the_rollout_backs_up_and_keeps_the_images_before_rolling_and_only_when_something_rolls():
    tasks = load("playbooks/tasks/update_rollout.yml")
    names = [t["name"] for t in tasks]
    plan, backup, keep, roll = (names.index(n) for n in (
        "Update | Decide which images the roll-out builds",
        "Update | Back up the site before anything is recreated (inception_update_backup)",
        "Update | Keep the image each recreated service runs now, as <repository>:rollback",
        "Update | Roll the stack, and roll it back if a service does not come up"))
    assert plan < backup < keep < roll
    assert tasks[plan]["ansible.builtin.import_role"] == {"name": "inception_stack", "tasks_from": "plan.yml"}
    assert "__update_plan.rolling | length > 0" in tasks[backup]["when"]
    assert "inception_update_backup | default(true) | bool" in tasks[backup]["when"]
    # A stopped stack has nothing to dump: no backup, the roll-out brings it up.
    running = names.index("Update | Read whether MariaDB runs, for the backup to dump it")
    assert running < backup and "__update_db_running.stdout | default('') | length > 0" in tasks[backup]["when"]
    assert tasks[running]["ansible.builtin.command"]["argv"][-4:] == ["--status", "running", "-q", "mariadb"]
    assert tasks[backup]["block"][0]["ansible.builtin.include_tasks"] == "backup.yml"
    # One tag per service whose container is recreated: none when nothing rolls (changed=0).
    assert tasks[keep]["loop"] == "{{ __update_plan.keep }}"
    assert tasks[keep]["ansible.builtin.command"]["argv"][:2] == ["docker", "tag"]
    assert tasks[roll]["block"][0]["ansible.builtin.import_role"] == {"name": "inception_stack"}


def test_the_rollout_rolls_back_then_fails_naming_the_services_and_the_backup():
    rescue = _rollout()["Update | Roll the stack, and roll it back if a service does not come up"]["rescue"]
    names = [t["name"] for t in rescue]
    retag = rescue[names.index("Update | Put the previous images back under their names")]
    assert retag["loop"] == "{{ __update_plan.keep }}"
    assert retag["ansible.builtin.command"]["argv"][0:2] == ["docker", "tag"]
    again = rescue[names.index("Update | Bring the stack up on the previous images")]
    up = again["block"][0]["community.docker.docker_compose_v2"]
    assert up["wait"] is True and up["build"] == "never" and up["pull"] == "never"
    assert "__update_restore" in again["rescue"][0]["ansible.builtin.fail"]["msg"]
    assert "playbooks/restore.yml" in rescue[names.index("Update | Name them")]["ansible.builtin.set_fact"]["__update_restore"]
    assert "did not become healthy either" in again["rescue"][0]["ansible.builtin.fail"]["msg"]
    last = rescue[-1]["ansible.builtin.fail"]["msg"]
    assert names.index("Update | Put the previous images back under their names") < names.index(
        "Update | Bring the stack up on the previous images") < len(names) - 1
    for words in ("__update_down", "rolled back to the previous images", "__update_backup_dest", "__update_retry"):
        assert words in last, words


ROLLOUT = load_filters("inception_stack", "inception_stack_rollout")


def test_the_rollout_plan_names_the_rebuilt_and_the_changed_services_and_keeps_what_they_run():
    ids = ("mariadb\tmariadb:1.0\tsha256:m\tsha256:m\n"
           "wordpress\twordpress:1.0\tsha256:w\tsha256:w\n"
           "nginx\tnginx:1.0\tsha256:old\tsha256:new\n"
           "website\twebsite:1.0\t\t\n")
    assert ROLLOUT["inception_stack_rollout_plan"](ids, []) == {
        "rolling": ["nginx"], "keep": [{"service": "nginx", "image": "nginx:1.0", "id": "sha256:old"}]}
    plan = ROLLOUT["inception_stack_rollout_plan"](ids, ["wordpress", "website"])
    assert plan["rolling"] == ["wordpress", "nginx", "website"]
    assert [k["id"] for k in plan["keep"]] == ["sha256:w", "sha256:old"], "no container: nothing to keep"
    # Nothing new: nothing rolls, nothing is kept.
    same = "mariadb\tmariadb:1.0\tsha256:m\tsha256:m\n"
    assert ROLLOUT["inception_stack_rollout_plan"](same, []) == {"rolling": [], "keep": []}


def test_unhealthy_names_what_is_not_running_or_not_healthy_and_what_is_missing():
    ps = ("mariadb\trunning\thealthy\n"
          "wordpress\trunning\tstarting\n"
          "nginx\trestarting\t\n"
          "ftp\trunning\t\n"
          "redis\texited\t\n")
    assert ROLLOUT["inception_stack_unhealthy"](ps, ["mariadb", "website"]) == ["nginx", "redis", "website", "wordpress"]
    assert ROLLOUT["inception_stack_unhealthy"]("mariadb\trunning\thealthy\n", ["mariadb"]) == []


@pytest.mark.parametrize("name, args, message", [
    ("inception_stack_rollout_plan", ("nginx\tnginx:1.0\n",), "line 1 is 'nginx\tnginx:1.0', not 4 tab-separated"),
    ("inception_stack_rollout_plan", ("", "nginx"), "stale must be the list"),
    ("inception_stack_rollout_plan", ({}, []), "the input must be the text"),
    ("inception_stack_unhealthy", ("nginx running\n",), "not 3 tab-separated"),
    ("inception_stack_unhealthy", ("", "nginx"), "services must be a list"),
])
def test_rollout_filters_refuse_bad_input(name, args, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        ROLLOUT[name](*args)


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
