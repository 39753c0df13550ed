"""A fleet, as users run one: a single play over SSH, as a sudo user, against two VMs
(Debian 13 and Debian 12), each with its own login and domain (Molecule `fleet`).

- both VMs are reached over SSH as a non-root user with become, host keys checked;
- a bad input on one VM stops that VM in preflight, before any change, and the other
  still runs the whole play;
- backup -> destroy the VM -> a fresh VM restored from the backup has the comment and the
  image, and every login keeps its password.

These tests run once for the whole fleet (they take the inventory, not testinfra's `host`).
"""

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
import uuid

import testinfra

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "evaluation"))
from stack import Browser, Site, env_value, fetch, wait_for_page  # noqa: E402

from ansible_run import BIN, ansible, known_hosts, playbook, secret_values  # noqa: E402

SECTION = "Fleet: SSH as a sudo user, failure policy, backup and restore"
# A real PNG (1x1, one red pixel): the upload must come back byte for byte.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc000000301010018dd8db40000000049454e44ae426082")


def site_of(hostvars):
    login = hostvars["inception_login"]
    return Site(login, "%s.42.fr" % login, "/home/%s/inception" % login, 443, hostvars.get("inception_project_site_title", "Inception"))


def test_each_vm_is_reached_over_ssh_as_a_sudo_user(inventory, fleet):
    for name, hostvars in fleet.items():
        assert hostvars.get("ansible_connection") == "ssh", "%s: %s" % (name, hostvars.get("ansible_connection"))
        assert "StrictHostKeyChecking=yes" in hostvars.get("ansible_ssh_common_args", "")
        host = testinfra.get_host("ansible://%s" % name, ansible_inventory=inventory)
        # With become, every command goes through sudo: SUDO_USER is who logged in over SSH.
        assert host.check_output("id -u") == "0", "%s: become does not give root" % name
        assert host.check_output("printenv SUDO_USER") == hostvars["ansible_user"] != "root", "%s: not logged in as %s" % (
            name, hostvars["ansible_user"])


def test_a_changed_host_key_is_refused(inventory, fleet, tmp_path):
    """Host key checking is on (as in the project's ansible.cfg and Molecule's): a VM
    whose key does not match the known_hosts entry is not reached."""
    name, hostvars = sorted(fleet.items())[0]
    known = known_hosts(hostvars)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
    other_key = (tmp_path / "other.pub").read_text().split()[:2]
    port = str(hostvars["ansible_port"])
    forged = []
    for line in open(known).read().splitlines():
        forged.append("[127.0.0.1]:%s %s" % (port, " ".join(other_key)) if line.startswith("[127.0.0.1]:%s " % port) else line)
    (tmp_path / "known_hosts").write_text("\n".join(forged) + "\n")
    # No shared connection: a master opened earlier would skip the key check.
    forged_args = "-o UserKnownHostsFile=%s -o IdentitiesOnly=yes -o ControlMaster=no -o ControlPath=none" % (tmp_path / "known_hosts")
    for config in {os.environ.get("ANSIBLE_CONFIG"), os.path.join(REPO, "ansible.cfg")} - {None}:
        env = dict(os.environ, ANSIBLE_CONFIG=config, ANSIBLE_NOCOLOR="1", ANSIBLE_SSH_ARGS="-o ControlMaster=no -o ControlPath=none")
        done = subprocess.run([os.path.join(BIN, "ansible"), name, "-i", inventory, "-m", "ansible.builtin.ping",
                               "-e", json.dumps({"ansible_ssh_common_args": forged_args})],
                              cwd=REPO, env=env, capture_output=True, text=True)
        out = done.stdout + done.stderr
        assert done.returncode != 0, "%s was reached with a forged host key (config %s)" % (name, config)
        control = subprocess.run([os.path.join(BIN, "ansible"), name, "-i", inventory, "-m", "ansible.builtin.ping",
                                  "-e", json.dumps({"ansible_ssh_common_args": forged_args.replace(str(tmp_path / "known_hosts"), known)})],
                                 cwd=REPO, env=env, capture_output=True, text=True)
        assert control.returncode == 0, "the real known_hosts does not work either: %s" % (control.stdout + control.stderr)[-1000:]
        assert "Host key verification failed" in out or "REMOTE HOST IDENTIFICATION HAS CHANGED" in out, out[-1000:]


def test_each_vm_has_its_own_login_and_domain(inventory, fleet):
    logins = {hostvars["inception_login"] for hostvars in fleet.values()}
    assert len(logins) == 2
    for name, hostvars in fleet.items():
        site = site_of(hostvars)
        host = testinfra.get_host("ansible://%s" % name, ansible_inventory=inventory)
        assert site.title in fetch(host, site.url).stdout, "%s does not serve %s" % (name, site.url)


def test_debian_12_vm_installed_docker_from_the_docker_repository(inventory, fleet):
    releases = {}
    for name in fleet:
        host = testinfra.get_host("ansible://%s" % name, ansible_inventory=inventory)
        releases[host.system_info.codename] = host
    assert set(releases) == {"trixie", "bookworm"}
    assert releases["bookworm"].package("docker-ce").is_installed
    assert releases["trixie"].package("docker.io").is_installed


def test_bad_input_on_one_vm_stops_it_in_preflight_and_the_other_runs_the_play(inventory, fleet, tmp_path):
    bad, good = sorted(fleet)
    extra = tmp_path / "bad.yml"
    extra.write_text("all:\n  hosts:\n    %s:\n      inception_project_image_tag: latest\n" % bad)
    rc, out, recap = playbook(inventory, "site.yml", "-i", str(extra))
    assert rc != 0, "site.yml succeeded with a bad input on %s" % bad
    assert "inception_project_image_tag is 'latest'" in out
    assert recap[bad]["failed"] == 1 and recap[bad]["changed"] == 0, recap
    assert recap[good]["failed"] == 0 and recap[good]["unreachable"] == 0, recap
    assert recap[good]["ok"] > recap[bad]["ok"] + 20, "%s did not run the whole play: %s" % (good, recap)
    assert recap[good]["changed"] == 0, "the converged VM changed: %s" % recap


def make_content(host, site):
    """A comment by the second user and an image uploaded by the administrator."""
    accounts = {"admin": (env_value(host, site, "WP_ADMIN_USER"), site.secret_file("wp_admin_password")),
                "user": (env_value(host, site, "WP_USER"), site.secret_file("wp_user_password"))}
    text = "kept across reprovisioning %s" % uuid.uuid4().hex[:10]
    browser = Browser(host, site)
    try:
        assert browser.log_in(*accounts["admin"]).status == 302
        status, posts = browser.rest("/wp/v2/posts")
        post = [p for p in posts if p.get("comment_status") == "open"][0]
        nonce = browser.rest_nonce()
        status, comment = browser.rest("/wp/v2/comments", data=[("post", str(post["id"])), ("content", text), ("status", "approved")],
                                       nonce=nonce)
        assert status == 201, "comment not created (HTTP %d): %s" % (status, comment)
        with host.sudo():
            host.check_output("printf '%%s' %s | base64 -d > /tmp/proof.png", base64.b64encode(PNG).decode())
        status, media = browser.upload("/wp/v2/media", "/tmp/proof.png", "proof.png", "image/png", nonce)
        assert status == 201, "upload refused (HTTP %d): %s" % (status, media)
    finally:
        browser.close()
    return accounts, text, post["link"], media["source_url"]


def owners(host, site):
    """Owner, group and mode of the WordPress files (two levels), as the restore must keep them."""
    with host.sudo():
        return host.check_output("cd %s/wordpress && find . -maxdepth 2 -printf '%%U:%%G %%m %%p\\n' | LC_ALL=C sort", site.data_dir)


def secrets_digest(host, site):
    with host.sudo():
        return host.check_output("cd %s/secrets && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum", site.project)


def test_backup_destroy_restore_keeps_the_content(inventory, fleet, tmp_path):
    name = [n for n in sorted(fleet) if "trixie" in n][0]
    site = site_of(fleet[name])
    host = testinfra.get_host("ansible://%s" % name, ansible_inventory=inventory)
    accounts, comment, post_link, image_url = make_content(host, site)
    before = secrets_digest(host, site)
    owners_before = owners(host, site)
    values = secret_values(host, site.project)
    assert len(values) >= 4

    backups = tmp_path / "backups"
    rc, out, _ = playbook(inventory, "playbooks/backup.yml", "--limit", name, "-e", "inception_backup_dir=%s" % backups)
    assert rc == 0, out[-3000:]
    latest = backups / name / "latest"
    for item in ("database.sql.gz", "wordpress.tar.gz", "secrets.tar.gz", "MANIFEST"):
        mode = stat.S_IMODE(os.stat(latest / item).st_mode)
        assert mode == 0o600, "%s is mode %o, not owner-only" % (item, mode)
    assert stat.S_IMODE(os.stat(os.path.realpath(latest)).st_mode) == 0o700
    assert host.run("ls -d /var/tmp/inception-backup.*").rc != 0, "the backup left its staging directory on the VM"
    outputs = [out]

    rc, out, _ = playbook(inventory, "playbooks/restore.yml", "--limit", name, "-e", "inception_restore_from=%s" % latest)
    assert rc != 0 and "already has content" in out, "a restore over a VM with content was not refused"

    subprocess.run(["docker", "rm", "-f", "-v", name], check=True, capture_output=True)
    rc, out = ansible("ansible-playbook", os.path.join(REPO, "molecule", "resources", "create.yml"), "-e", "vm_only=%s" % name,
                      inventory=inventory)
    assert rc == 0, out[-3000:]
    fresh = testinfra.get_host("ansible://%s" % name, ansible_inventory=inventory)
    assert not fresh.file(site.project).exists, "the new VM is not fresh"

    rc, out, recap = playbook(inventory, "playbooks/restore.yml", "--limit", name, "-e", "inception_restore_from=%s" % latest)
    assert rc == 0, out[-3000:]
    outputs.append(out)
    assert secrets_digest(fresh, site) == before, "the secrets differ after the restore"
    with fresh.sudo():
        assert fresh.run("ls -d /var/tmp/inception-restore.*").rc != 0, "the restore left its staging directory on the VM"
        secrets = fresh.file("%s/secrets" % site.project)
        assert (secrets.user, secrets.mode) == ("root", 0o700)
        modes = fresh.check_output("stat -c '%%U %%a' %s/secrets/*.txt | sort -u", site.project)
        assert modes == "root 600", "restored secret files: %s" % modes
        assert owners(fresh, site) == owners_before, "owners or modes of the WordPress files changed in the restore"
    assert comment in wait_for_page(fresh, post_link, comment, timeout=120), "the comment is gone after the restore"
    with fresh.sudo():
        image = fresh.run("curl -ksS --max-time 20 %s | sha256sum", image_url)
    assert image.stdout.split()[0] == hashlib.sha256(PNG).hexdigest(), "the uploaded image is not served after the restore"
    browser = Browser(fresh, site)
    try:
        for who in ("admin", "user"):
            login = browser.log_in(*accounts[who])
            assert login.status == 302 and "wp-admin" in login.location, "%s cannot log in with the same password" % accounts[who][0]
    finally:
        browser.close()

    # Told to overwrite, a restore over a VM with content replaces it (and resumes a stopped one).
    rc, out, _ = playbook(inventory, "playbooks/restore.yml", "--limit", name, "-e", "inception_restore_from=%s" % latest,
                          "-e", "inception_restore_overwrite=true")
    assert rc == 0, out[-3000:]
    outputs.append(out)
    assert comment in wait_for_page(fresh, post_link, comment, timeout=120), "the comment is gone after an overwriting restore"
    leaked = [i for i, text in enumerate(outputs) for value in values if value in text]
    assert not leaked, "a secret value appears in the output of a backup or restore run"


ROLLOUT_PLAY = """- name: The roll-out of playbooks/update.yml, on the images as they are
  hosts: {host}
  become: true
  gather_facts: false
  vars_files:
    - {repo}/playbooks/vars/paths.yml
  vars:
    inception_backup_dir: {backups}
    inception_stack_wait_timeout: 120
  tasks:
    - name: Roll out (playbooks/tasks/update_rollout.yml)
      ansible.builtin.import_tasks: {repo}/playbooks/tasks/update_rollout.yml
"""


def test_an_update_whose_image_does_not_come_up_is_rolled_back(inventory, fleet, tmp_path):
    """playbooks/update.yml's roll-out, without the base refresh and the rebuilds (minutes):
    a new nginx image that cannot start, under nginx's name (it inherits the image's labels
    and layers, so nothing is rebuilt), as an update that went wrong would leave it. The
    roll-out backs up, recreates nginx, sees it not come up, puts the previous image back,
    and fails saying so; the site answers on the previous image, and a second run changes
    nothing."""
    name = [n for n in sorted(fleet) if "bookworm" in n][0]
    site = site_of(fleet[name])
    host = testinfra.get_host("ansible://%s" % name, ansible_inventory=inventory)
    compose = "docker compose -f %s/srcs/docker-compose.yml" % site.project
    with host.sudo():
        image = host.check_output("docker inspect -f '{{.Config.Image}}' nginx")
        before = host.check_output("docker inspect -f '{{.Image}}' nginx")
        dockerfile = 'FROM %s\nENTRYPOINT ["sh", "-c", "echo broken on purpose >&2; exit 1"]\n' % image
        host.check_output("printf '%%s' %s | docker build -q -t %s -", dockerfile, image)
        broken = host.check_output("docker image inspect -f '{{.Id}}' %s", image)
    assert broken != before
    play = tmp_path / "rollout.yml"
    backups = tmp_path / "backups"
    play.write_text(ROLLOUT_PLAY.format(host=name, repo=REPO, backups=backups))
    try:
        rc, out, recap = playbook(inventory, str(play))
        flat = " ".join(out.split())
        assert rc != 0, "the roll-out on a broken nginx image succeeded: %s" % out[-3000:]
        assert "Update of %s rolled back: nginx did not become healthy" % name in flat, out[-3000:]
        assert "rolled back to the previous images (%s" % image in flat, out[-3000:]
        dest = sorted(p for p in (backups / name).iterdir() if p.name != "latest")
        assert len(dest) == 1 and (dest[0] / "database.sql.gz").stat().st_size > 0, "no backup before the roll-out"
        assert str(dest[0]) in flat, "the failure does not say where the backup is"
        with host.sudo():
            assert host.check_output("docker inspect -f '{{.Image}}' nginx") == before, "nginx is not on its previous image"
            assert host.check_output("docker image inspect -f '{{.Id}}' %s", image) == before
            assert host.check_output(compose + " ps --format '{{.Health}}' nginx") == "healthy"
        assert site.title in wait_for_page(host, site.url, site.title, timeout=60), "the site does not answer after the roll-back"
        # Nothing new now: no backup, no tag, no change.
        rc, out, recap = playbook(inventory, str(play))
        assert rc == 0, out[-3000:]
        assert recap[name]["changed"] == 0, recap
        assert len([p for p in (backups / name).iterdir() if p.name != "latest"]) == 1, "a backup with nothing to roll"
    finally:
        with host.sudo():
            if host.run("docker inspect -f '{{.Image}}' nginx").stdout.strip() != before:
                host.run("docker tag %s %s && " + compose + " up -d --wait", before, image)
            host.run("docker image rm %s", broken)
