"""Run the repository's playbooks and Ansible tools from the tests, and read the recap;
read what the tests compare the output with on the VM."""

import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def ansible(tool, *args, inventory=None, config=None):
    """Run an Ansible tool of the venv from the repository root; return (rc, output).
    config: the ansible.cfg to use (default: the repository's, as a user runs it)."""
    env = dict(os.environ, ANSIBLE_CONFIG=config or os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    command = [os.path.join(BIN, tool)] + (["-i", inventory] if inventory else []) + list(args)
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def playbook(inventory, path, *extra, config=None):
    """Run a playbook of the repository; return (rc, output, {host: recap counts})."""
    rc, out = ansible("ansible-playbook", os.path.join(REPO, path), *extra, inventory=inventory, config=config)
    recap = {m.group(1): dict(ok=int(m.group(2)), changed=int(m.group(3)), unreachable=int(m.group(4)), failed=int(m.group(5)))
             for m in RECAP.finditer(out)}
    return rc, out, recap


def known_hosts(hostvars):
    """The known_hosts file the harness wrote for an SSH VM (from its ssh_common_args)."""
    return re.search(r"UserKnownHostsFile=(\S+)", hostvars["ansible_ssh_common_args"]).group(1)


def secret_values(host, project, key=False):
    """The credentials the project holds on the VM: the content of each secrets/*.txt but
    credentials.txt (the generated or supplied passwords), stripped; with key, also the first
    line of the TLS key's base64 body (a printed key would show its lines joined by "\\n"
    escapes)."""
    patterns = "*.txt tls/*.key" if key else "*.txt"
    with host.sudo():
        names = [n for n in host.check_output("cd %s/secrets && ls " + patterns, project).split() if n != "credentials.txt"]
        texts = {n: host.file("%s/secrets/%s" % (project, n)).content_string for n in names}
    values = [text.strip() for name, text in texts.items() if name.endswith(".txt")]
    values += [[line for line in text.splitlines() if line and not line.startswith("-----")][0]
               for name, text in texts.items() if name.endswith(".key")]
    return values
