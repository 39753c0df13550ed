"""Security: least privilege in every container, the database and FastCGI out of the
VM's reach, WordPress's code out of PHP's reach, TLS graded by testssl.sh, unknown
names refused, and no secret value where docker shows things.

Beyond the scale: what a reviewer checks against the CIS Docker Benchmark, Mozilla's
TLS guidance and WordPress hardening practice. Works on any Inception VM: containers,
images, networks and paths come from `docker compose ps` and `docker inspect`, the
secret values from the project's secret files, read as root on the VM and never
printed (a leak is named by where it was found and which file it came from).
"""

import collections
import ipaddress
import json
import re
import shlex
import shutil
import subprocess
import time
import uuid
from collections import namedtuple

import pytest

from chromium import Tunnel
from stack import BONUS, EXPORTERS, SERVICES, cannot_decide, compose_containers, wait_until_healthy

SECTION = "11. Security"

# ---------------------------------------------------------------------------------------------
# The contract each container is held to (adjust it here). Every container of the stack drops
# all capabilities (adding back only what it needs), sets no-new-privileges and has memory and
# pids limits; it runs no process as root unless listed in ROOT_KEPT (a master that binds a port
# below 1024 or switches users: nginx, vsftpd), and its root filesystem is mounted read-only
# (tmpfs where it must write) unless listed in WRITABLE_ROOT_KEPT (vsftpd rewrites /etc/passwd
# and /etc/shadow). A container not of the stack (stack.SERVICES, BONUS and EXPORTERS) may run
# root processes and write its root filesystem (both shown as figures).
# tests/unit/test_evaluation_security.py checks every exception names a service of the stack.
STACK = frozenset(SERVICES + BONUS + EXPORTERS)
ROOT_KEPT = frozenset({"nginx", "ftp"})
WRITABLE_ROOT_KEPT = frozenset({"ftp"})

# Ports the VM itself must not reach (only their own network's containers may).
INTERNAL_PORTS = (("mariadb", 3306), ("wordpress", 9000))

# WordPress paths PHP's user must not be able to change (the directory itself: whoever can write
# it can replace wp-config.php), and the one it must (so the check can fail both ways).
CODE_PATHS = ("wp-config.php", "index.php", "wp-includes/version.php", "wp-includes/", "wp-admin/", "./")
UPLOADS = "wp-content/uploads/"

# testssl.sh findings a self-signed certificate cannot avoid: id -> (severity, what the finding
# says, why it is expected). A certificate signed by a local CA the scanner does not know
# fails the chain the same way.
SELF_SIGNED = {
    "cert_chain_of_trust": ("CRITICAL", r"self signed|chain incomplete",
                            "no public CA signed a self-signed certificate: no browser or scanner trusts it "
                            "until its certificate (or the local CA) is imported"),
    "cert_revocation": ("HIGH", r"Neither CRL nor OCSP URI provided",
                        "revocation lists and OCSP responders are run by public CAs; a self-signed "
                        "certificate has neither"),
}
# MEDIUM findings with a known explanation: id -> the explanation shown in the report.
EXPLAINED_MEDIUM = {
    "BREACH": "nginx gzips HTML (Debian's default gzip on, text/html). BREACH needs a secret and "
              "attacker-chosen text in the same compressed page, and an attacker who makes the victim's "
              "browser send many requests while measuring the answers' sizes: the pages anonymous visitors "
              "get carry no secret; wp-admin's carry per-session nonces, and TLS 1.2+ with HSTS keeps the "
              "attacker off the path. Switching gzip off trades bandwidth for a threat that needs all three.",
}
# testssl.sh's groups of checks: protocols, cipher categories, forward secrecy, server
# preferences, server defaults (the certificate), HTTP headers, vulnerabilities.
TESTSSL_CHECKS = ("-p", "-s", "-f", "-P", "-S", "-h", "-U")
# A scan that did not complete says so with one of these.
SCAN_PROBLEMS = ("FATAL",)


# --------------------------------------------------------------------------- pure helpers
def top_rows(top):
    """[{column: value}] of `docker top` output, one per process, keyed by its header."""
    lines = [line for line in top.splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0].split()
    return [dict(zip(header, line.split(None, len(header) - 1))) for line in lines[1:]]


def root_processes(top):
    """[(pid, command)] running as root in `docker top <c> -eo uid,ruid,pid,comm` output
    (effective or real uid 0)."""
    return [(row.get("PID", "?"), row.get("COMMAND", row.get("CMD", "?"))) for row in top_rows(top)
            if row.get("UID") in ("0", "root") or row.get("RUID") in ("0", "root")]


def process_uids(top, command):
    """Non-root uids of the processes whose command starts with command."""
    return sorted({row["UID"] for row in top_rows(top)
                   if row.get("COMMAND", "").startswith(command) and row.get("UID") not in ("0", "root", None)})


def size(count):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return ("%.0f%s" if unit == "B" else "%.1f%s") % (count, unit)
        count /= 1024.0


def no_new_privileges(options):
    return any(re.fullmatch(r"no-new-privileges(?:[:=]true)?", option or "") for option in options or ())


def drops_all(capabilities):
    return any((cap or "").upper() in ("ALL", "CAP_ALL") for cap in capabilities or ())


Grade = namedtuple("Grade", "counts expected unexpected explained unexplained problems")


def grade(findings):
    """testssl.sh's flat JSON findings -> Grade: counts per severity, the expected self-signed
    findings [(id, severity, finding, why)], HIGH/CRITICAL ones not expected, MEDIUM ones explained
    [(id, finding, explanation)] and not, and what says the scan did not complete."""
    counts = collections.Counter()
    expected, unexpected, explained, unexplained, problems = [], [], [], [], []
    for finding in findings:
        severity = finding.get("severity", "")
        ident = finding.get("id", "")
        base = ident.split()[0] if ident else ident  # "cert_revocation <cert#1>" with several certificates
        text = finding.get("finding", "")
        counts[severity] += 1
        if severity in SCAN_PROBLEMS or base == "scanProblem":
            problems.append("%s: %s" % (ident, text))
        elif severity in ("HIGH", "CRITICAL"):
            known = SELF_SIGNED.get(base)
            if known and known[0] == severity and re.search(known[1], text):
                expected.append((ident, severity, text, known[2]))
            else:
                unexpected.append("%s (%s): %s" % (ident, severity, text))
        elif severity == "MEDIUM":
            if base in EXPLAINED_MEDIUM:
                explained.append((ident, text, EXPLAINED_MEDIUM[base]))
            else:
                unexplained.append("%s: %s" % (ident, text))
    return Grade(counts, expected, unexpected, explained, unexplained, problems)


def summary(counts):
    order = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "OK", "INFO", "WARN")
    return ", ".join("%s %d" % (s, counts[s]) for s in order if counts.get(s)) or "no findings"


def leak_search_script(secret_files, sources):
    """A shell script, run as root on the VM: which secret shows in which source.
    sources: shell commands printing what to search (docker inspect, logs, history...).
    Prints "<source index>\\t<secret file>" per leak, then "needles <n>": never a value.
    A secret file gives its whole (trimmed) content when it is one line, the values of its
    password-like KEY=value lines otherwise (not a *_FILE, *_URL... key, nor a path), a private
    key's first base64 line; a certificate
    is public and gives nothing. Values shorter than 8 characters are not looked for. They stay
    in a root-only temporary directory on the VM, never on a command line."""
    script = ["set -u", "umask 077", 'dir=$(mktemp -d) || exit 2', "trap 'rm -rf \"$dir\"' EXIT"]
    script += ['( %s ) > "$dir/source.%d" 2>&1' % (command, index) for index, command in enumerate(sources)]
    script += [
        "n=0",
        "for f in %s; do" % " ".join(shlex.quote(f) for f in secret_files),
        '  [ -f "$f" ] || continue',
        "  if grep -q -- '-----BEGIN .*PRIVATE KEY' \"$f\"; then",
        "    sed -n '/-----BEGIN .*PRIVATE KEY/{n;p;q;}' \"$f\"",
        "  elif grep -q -- '-----BEGIN CERTIFICATE' \"$f\"; then",
        "    :",
        '  elif [ "$(grep -c . "$f")" -le 1 ]; then',
        "    sed 's/^[[:space:]]*//; s/[[:space:]]*$//' \"$f\"",
        "  else",
        "    awk -v q=\"'\" '{ sub(/^[ \\t]+/, \"\"); sub(/[ \\t\\r]+$/, \"\");"
        " if (!match($0, /^(export[ \\t]+)?[A-Za-z_][A-Za-z0-9_. \\t-]*[=:][ \\t]*/)) next;"
        " key = tolower(substr($0, 1, RLENGTH)); v = substr($0, RLENGTH + 1);"
        " if (key !~ /pass|pwd|secret|token|key/ || key ~ /file|path|ur[il]|host/) next;"
        " c = substr(v, 1, 1); if (length(v) >= 2 && (c == \"\\\"\" || c == q) && substr(v, length(v), 1) == c)"
        " v = substr(v, 2, length(v) - 2); if (substr(v, 1, 1) != \"/\") print v }' \"$f\"",
        '  fi > "$dir/needles"',
        '  while IFS= read -r needle; do',
        '    [ "${#needle}" -ge 8 ] || continue',
        "    printf '%s\\n' \"$needle\" > \"$dir/needle\"",
        "    n=$((n + 1))",
        '    for s in "$dir"/source.*; do',
        "      grep -qF -f \"$dir/needle\" \"$s\" && printf '%s\\t%s\\n' \"${s##*.}\" \"$f\"",
        "    done",
        '  done < "$dir/needles"',
        "done",
        'echo "needles $n"',
    ]
    return "\n".join(script) + "\n"


def parse_leaks(output, labels):
    """(number of values looked for, ["<label> shows <file>"]) from leak_search_script's output."""
    needles, leaks = None, []
    for line in output.splitlines():
        if line.startswith("needles "):
            needles = int(line.split()[1])
        elif "\t" in line:
            index, _, path = line.partition("\t")
            leaks.append("%s shows %s" % (labels[int(index)], path))
    return needles, sorted(set(leaks))


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def containers(host, site):
    """{service: container name} of the stack."""
    found = compose_containers(host, site)
    if not found:
        cannot_decide("docker compose ps lists no container for %s" % site.compose)
    return found


@pytest.fixture(scope="module")
def inspected(host, containers):
    """{service: docker inspect of its container}."""
    out = host.run("docker inspect %s" % " ".join(shlex.quote(n) for n in containers.values()))
    assert out.rc == 0, "docker inspect failed: %s" % out.stderr.strip()[-300:]
    by_name = {entry["Name"].lstrip("/"): entry for entry in json.loads(out.stdout)}
    return {service: by_name[name] for service, name in containers.items() if name in by_name}


@pytest.fixture(scope="module")
def running(inspected):
    return {service: entry["Name"].lstrip("/") for service, entry in inspected.items()
            if entry.get("State", {}).get("Running")}


def excepted(service, exceptions):
    """True when service may break a rule of the contract: one of exceptions, or no service of the stack."""
    return service in exceptions or service not in STACK


def top(host, name):
    out = host.run("docker top %s -eo uid,ruid,pid,comm", name)
    assert out.rc == 0, "docker top %s failed: %s" % (name, out.stderr.strip()[-200:])
    return out.stdout


@pytest.fixture(scope="module")
def wordpress(host, inspected):
    """(container, WordPress's directory in it, that directory on the VM): the mount holding
    wp-includes/version.php (/var/www/html here, /var/www/wordpress and the like elsewhere)."""
    entry = inspected.get("wordpress")
    if entry is None:
        cannot_decide("no wordpress service in the compose file")
    name = entry["Name"].lstrip("/")
    mounts = entry.get("Mounts") or []
    for mount in mounts:
        destination = mount.get("Destination", "")
        for candidate in (destination, destination.rstrip("/") + "/wordpress", destination.rstrip("/") + "/html"):
            if host.run("docker exec %s test -f %s/wp-includes/version.php", name, candidate).rc == 0:
                on_vm = mount["Source"] + candidate[len(destination):]
                return name, candidate.rstrip("/"), on_vm.rstrip("/")
    cannot_decide("no WordPress among the %s container's mounts: %s" % (name, [m.get("Destination") for m in mounts]))


def https(host, site, path, data=None):
    """(status, body) of https://<domain>/<path> on the VM, by name (SNI and Host), over loopback."""
    argv = ["curl", "-ksS", "--max-time", "20", "--resolve", "%s:%d:127.0.0.1" % (site.domain, site.https_port),
            "-w", "\n%{http_code}"]
    if data is not None:
        argv += ["-H", "Content-Type: text/xml", "--data-binary", data]
    out = host.run(" ".join(shlex.quote(a) for a in argv + [site.url + path.lstrip("/")]))
    body, _, status = out.stdout.rpartition("\n")
    return (int(status) if status.strip().isdigit() else 0), body


# --------------------------------------------------------------------------- least privilege
@pytest.mark.by_hand("docker inspect -f '{{.Name}} drop={{.HostConfig.CapDrop}} add={{.HostConfig.CapAdd}} "
                     "privileged={{.HostConfig.Privileged}}' $({compose} ps -q)")
def test_every_container_drops_all_capabilities(inspected, figure):
    added = {}
    bad = []
    for service, entry in sorted(inspected.items()):
        config = entry["HostConfig"]
        added[service] = sorted(config.get("CapAdd") or [])
        if config.get("Privileged"):
            bad.append("%s is privileged" % service)
        elif not drops_all(config.get("CapDrop")):
            bad.append("%s drops %s" % (service, config.get("CapDrop") or "nothing"))
    figure("Capabilities added back", "; ".join("%s: %s" % (s, " ".join(c) or "none") for s, c in added.items()))
    assert not bad, "containers keeping Docker's default capabilities (no cap_drop: [ALL]): %s" % ", ".join(bad)


@pytest.mark.by_hand("docker inspect -f '{{.Name}} {{.HostConfig.SecurityOpt}}' $({compose} ps -q)")
def test_every_container_sets_no_new_privileges(inspected):
    bad = ["%s (%s)" % (s, e["HostConfig"].get("SecurityOpt") or "none") for s, e in sorted(inspected.items())
           if not no_new_privileges(e["HostConfig"].get("SecurityOpt"))]
    assert not bad, "containers without security_opt no-new-privileges:true: %s" % ", ".join(bad)


@pytest.mark.by_hand("docker inspect -f '{{.Name}} memory={{.HostConfig.Memory}} pids={{.HostConfig.PidsLimit}}' "
                     "$({compose} ps -q); docker stats --no-stream")
def test_every_container_has_memory_and_pids_limits(host, inspected, running, figure):
    stats = {}
    if running:
        out = host.run("docker stats --no-stream --format '{{.Name}}\t{{.MemUsage}}\t{{.PIDs}}' %s"
                       % " ".join(shlex.quote(n) for n in running.values()))
        for line in out.stdout.splitlines():
            fields = line.split("\t")
            if len(fields) == 3:
                stats[fields[0]] = (fields[1].split("/")[0].strip(), fields[2].strip())
    bad = []
    for service, entry in sorted(inspected.items()):
        memory = entry["HostConfig"].get("Memory") or 0
        pids = entry["HostConfig"].get("PidsLimit") or 0
        used, tasks = stats.get(entry["Name"].lstrip("/"), ("not running", "-"))
        figure("Memory and pids of %s (used / limit)" % service, "%s / %s, %s / %s pids" % (
            used, size(memory) if memory > 0 else "no limit", tasks, pids if pids > 0 else "no limit"))
        if memory <= 0 or pids <= 0:
            bad.append("%s (%s%s)" % (service, "" if memory > 0 else "no mem_limit",
                                      "" if pids > 0 else "%sno pids_limit" % ("" if memory > 0 else ", ")))
    assert not bad, "containers without limits: %s" % ", ".join(bad)


@pytest.mark.by_hand("for c in $({compose} ps --format '{{.Name}}'); do echo \"== $c\"; docker top $c -eo user,uid,pid,comm; done")
def test_no_root_process_where_none_is_needed(host, running, figure):
    bad, kept = [], []
    # Twice, a second apart: a process in both is the container's own (a healthcheck's
    # docker exec comes and goes).
    first = {service: set(root_processes(top(host, name))) for service, name in running.items()}
    time.sleep(1)
    for service, name in sorted(running.items()):
        steady = sorted(first[service] & set(root_processes(top(host, name))),
                        key=lambda p: int(p[0]) if p[0].isdigit() else 0)
        if not steady:
            continue
        listed = "%s (%s)" % (service, ", ".join("%s pid %s" % (comm, pid) for pid, comm in steady))
        (kept if excepted(service, ROOT_KEPT) else bad).append(listed)
    figure("Root processes where allowed", "; ".join(kept) or "none")
    assert not bad, "root processes in containers that must run as a user: %s" % "; ".join(bad)


@pytest.mark.by_hand("docker inspect -f '{{.Name}} read_only={{.HostConfig.ReadonlyRootfs}} tmpfs={{.HostConfig.Tmpfs}}' $({compose} ps -q)")
def test_read_only_root_filesystem_where_promised(inspected, figure):
    writable = sorted(s for s, e in inspected.items() if not e["HostConfig"].get("ReadonlyRootfs"))
    figure("Writable root filesystems", ", ".join(writable) or "none")
    bad = [s for s in writable if not excepted(s, WRITABLE_ROOT_KEPT)]
    assert not bad, "root filesystems not read-only: %s" % ", ".join(bad)


# --------------------------------------------------------------------------- network
def addresses(entry, port):
    """Where the VM could reach a container's port: its address on each network, and what
    the port is published to on the VM."""
    found = []
    for network in (entry.get("NetworkSettings", {}).get("Networks") or {}).values():
        for key in ("IPAddress", "GlobalIPv6Address"):
            if network.get(key):
                found.append(network[key])
    for binding in (entry.get("NetworkSettings", {}).get("Ports") or {}).get("%d/tcp" % port) or []:
        ip = binding.get("HostIp") or "0.0.0.0"
        found.append(("127.0.0.1" if ip in ("0.0.0.0", "::") else ip, int(binding["HostPort"])))
    return [a if isinstance(a, tuple) else (a, port) for a in found]


def off_the_vm(host, address):
    """True when the VM routes address through a gateway (no network of the VM holds it,
    as with a network whose bridge has no address on the host); False when a local
    network holds it, or when `ip` cannot tell (then the connect decides)."""
    out = host.run("ip -o route get %s", address)
    return out.rc == 0 and " via " in out.stdout and "dev lo" not in out.stdout


@pytest.mark.by_hand("for ip in $(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' {service}); do "
                     "ip route get $ip | grep -q ' via ' && echo \"$ip: not on the VM\" && continue; "
                     "timeout 3 bash -c \"exec 3<>/dev/tcp/$ip/{port}\" && echo \"$ip:{port} answers\"; done; "
                     "docker port {service}  # must print nothing")
@pytest.mark.parametrize("service,port", INTERNAL_PORTS)
def test_port_unreachable_from_the_vm(host, inspected, service, port, figure):
    if service not in inspected:
        cannot_decide("no %s service in the compose file" % service)
    targets = addresses(inspected[service], port)
    assert targets, "%s is on no network" % service
    # An address no network of the VM holds is routed through its default gateway, off the
    # VM: what answers there (a router, a proxy of the hosting network) is not the container.
    local = [t for t in targets if not off_the_vm(host, t[0])]
    reachable = ["%s:%d" % t for t in local if host.run(
        "timeout 3 bash -c %s", "exec 3<>/dev/tcp/%s/%d" % t).rc == 0]
    figure("%s's port %d from the VM" % (service, port), "%d of %d addresses answer, %d not routed on the VM (%s)" % (
        len(reachable), len(targets), len(targets) - len(local), ", ".join("%s:%d" % t for t in targets)))
    assert not reachable, "%s's port %d answers on the VM at %s" % (service, port, ", ".join(reachable))


# php-fpm's FastCGI ping, run in the wordpress container against ADDRESS:9000.
FPM_PING = "SCRIPT_NAME=/fpm-ping SCRIPT_FILENAME=/fpm-ping REQUEST_METHOD=GET cgi-fcgi -bind -connect %s:9000"


@pytest.mark.by_hand("docker exec wordpress sh -c 'SCRIPT_NAME=/fpm-ping SCRIPT_FILENAME=/fpm-ping REQUEST_METHOD=GET "
                     "cgi-fcgi -bind -connect $(hostname -i | cut -d\" \" -f1):9000'  # must not print pong (127.0.0.1 does)")
def test_php_fpm_serves_fastcgi_to_nginx_alone(host, inspected, figure):
    """Behind the internal network, a second fence: php-fpm's listen.allowed_clients. From the
    wordpress container's own network addresses (not nginx's) the ping gets no pong, while
    127.0.0.1 (its healthcheck) does, so the check can tell."""
    entry = inspected.get("wordpress")
    if entry is None or not entry.get("State", {}).get("Running"):
        cannot_decide("no running wordpress container")
    name = entry["Name"].lstrip("/")
    if host.run("docker exec %s sh -c 'command -v cgi-fcgi'", name).rc != 0:
        cannot_decide("no cgi-fcgi in the %s container to speak FastCGI with" % name)
    if "pong" not in host.run("docker exec %s sh -c %s", name, FPM_PING % "127.0.0.1").stdout:
        cannot_decide("php-fpm answers no ping on 127.0.0.1:9000 (ping.path /fpm-ping)")
    own = [n["IPAddress"] for n in (entry.get("NetworkSettings", {}).get("Networks") or {}).values() if n.get("IPAddress")]
    assert own, "%s is on no network" % name
    answered = [a for a in own if "pong" in host.run("docker exec %s sh -c %s", name, FPM_PING % a).stdout]
    figure("php-fpm's FastCGI clients", "127.0.0.1 answered; %d of %d other addresses answered (%s)" % (
        len(answered), len(own), ", ".join(own)))
    assert not answered, "php-fpm serves FastCGI to a client other than nginx: from %s" % ", ".join(answered)


def root_password_file(site, discovery):
    """The VM's file of MariaDB's root password: the compose secret named for root (a
    student's layout may keep it anywhere under secrets/), else the project's own."""
    for name, rel in sorted(discovery.compose_secrets.items()):
        if "root" in name.lower() and rel in discovery.secret_files:
            return discovery.vm_path(rel)
    return site.secret_file("db_root_password")


def account_hosts(host, password_file):
    """[(user, host)] of MariaDB's accounts, read as root with the password of the project's
    secret file on the VM (on stdin, never printed)."""
    command = ("{ head -n1 %s; printf '%%s\\n' %s; } | docker exec -i mariadb sh -c %s" % (
        shlex.quote(password_file), shlex.quote("SELECT User, Host FROM mysql.user"),
        shlex.quote('IFS= read -r MYSQL_PWD; export MYSQL_PWD; exec "$(command -v mariadb || command -v mysql)" -uroot -N')))
    with host.sudo():
        out = host.run(command)
    if out.rc != 0:
        cannot_decide("no root SQL session in the mariadb container with %s: %s" % (
            password_file, out.stderr.strip()[-200:]))
    return [tuple(line.split("\t", 1)) for line in out.stdout.splitlines() if "\t" in line]


@pytest.mark.by_hand("docker exec -it mariadb mariadb -uroot -p -e 'SELECT User, Host FROM mysql.user'  "
                     "# password: sudo cat secrets/db_root_password.txt; no '%', the app user on the database network")
def test_database_accounts_are_scoped_to_their_network(host, site, discovery, inspected, figure):
    """No account of MariaDB may connect from anywhere: no host with a wildcard, root on
    localhost only, and the application user's network account scoped to a network
    MariaDB is on (netmask form, as MariaDB writes a subnet)."""
    entry = inspected.get("mariadb")
    if entry is None:
        cannot_decide("no mariadb service in the compose file")
    env = dict(item.partition("=")[::2] for item in entry.get("Config", {}).get("Env") or [])
    user = env.get("MYSQL_USER") or env.get("MARIADB_USER")
    if not user:
        cannot_decide("the mariadb container has no MYSQL_USER in its environment")
    subnets = []
    for network in (entry.get("NetworkSettings", {}).get("Networks") or {}):
        out = host.run("docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}' %s", network)
        subnets += [ipaddress.ip_network(s) for s in out.stdout.split() if ":" not in s]
    masks = {"%s/%s" % (n.network_address, n.netmask) for n in subnets} | {str(n) for n in subnets}
    accounts = account_hosts(host, root_password_file(site, discovery))
    figure("MariaDB accounts", ", ".join("%s@%s" % a for a in sorted(accounts)))
    wide = ["%s@%s" % a for a in accounts if "%" in a[1] or "_" in a[1] or (a[0] == "root" and a[1] != "localhost")]
    assert not wide, "accounts wider than a host or their network: %s" % ", ".join(wide)
    network = [h for u, h in accounts if u == user and h != "localhost"]
    assert network and set(network) <= masks, "%s's accounts are not scoped to MariaDB's networks (%s): hosts %s" % (
        user, ", ".join(sorted(masks)) or "no subnet", ", ".join(network) or "none but localhost")


# --------------------------------------------------------------------------- WordPress
@pytest.mark.by_hand("echo '<?php echo 6*7;' | sudo tee $(docker volume inspect -f '{{.Mountpoint}}' wordpress)/wp-content/uploads/probe.php; "
                     "curl -ksS {url}wp-content/uploads/probe.php  # must not print 42; then sudo rm that probe.php")
def test_php_under_uploads_is_not_run(host, site, wordpress, figure):
    _, _, on_vm = wordpress
    token = uuid.uuid4().hex[:12]
    folder = "inception-security-%s" % token
    uploads = "%s/%s" % (on_vm, UPLOADS.rstrip("/"))
    with host.sudo():
        created = host.run("test -d %s", uploads).rc != 0
        # a PHP file whose output differs from its source, and a text file proving the path is served
        made = host.run("mkdir -p %s/%s && printf %%s %s > %s/%s/probe.php && printf %%s %s > %s/%s/probe.txt",
                        uploads, folder, '<?php echo 6*7, "-", "%s";' % token, uploads, folder,
                        "text-" + token, uploads, folder)
    try:
        assert made.rc == 0, "cannot write into %s on the VM: %s" % (uploads, made.stderr.strip())
        text_status, text = https(host, site, "%s/%s/probe.txt" % (UPLOADS, folder))
        status, body = https(host, site, "%s/%s/probe.php" % (UPLOADS, folder))
    finally:
        with host.sudo():
            host.run("rm -rf %s/%s", uploads, folder)
            if created:
                host.run("rmdir %s", uploads)
    figure("A .php file under uploads", "HTTP %d, %s" % (status, "run by PHP" if "42-%s" % token in body else "not run"))
    assert text_status == 200 and text == "text-" + token, \
        "a file put in %s is not served (HTTP %d): the check cannot tell" % (UPLOADS, text_status)
    assert "42-%s" % token not in body, "PHP under %s is run: the probe printed its computed marker (HTTP %d)" % (
        UPLOADS, status)


@pytest.mark.by_hand("curl -ksS -o /dev/null -w '%{http_code}\\n' -H 'Content-Type: text/xml' -d "
                     "'<methodCall><methodName>system.listMethods</methodName></methodCall>' {url}xmlrpc.php  # 403 or 404")
def test_xmlrpc_is_refused(host, site, figure):
    status, body = https(host, site, "xmlrpc.php",
                         data="<?xml version=\"1.0\"?><methodCall><methodName>system.listMethods</methodName></methodCall>")
    figure("POST xmlrpc.php", "HTTP %d" % status)
    assert "methodResponse" not in body, "xmlrpc.php answered an XML-RPC call (HTTP %d)" % status
    assert status in (403, 404, 410), "xmlrpc.php answered HTTP %d, not 403/404" % status


@pytest.mark.by_hand("docker exec -u www-data wordpress sh -c 'cd /var/www/html && for f in wp-config.php index.php "
                     "wp-includes/version.php wp-includes wp-admin . wp-content/uploads; do test -w $f && echo \"$f writable\"; done'")
def test_php_user_cannot_write_wordpress_code(host, wordpress, figure):
    name, root, _ = wordpress
    uids = process_uids(top(host, name), "php")
    user = uids[0] if uids else "www-data"
    config = "wp-config.php"
    if host.run("docker exec %s test -f %s/wp-config.php", name, root).rc != 0 and \
            host.run("docker exec %s test -f %s/../wp-config.php", name, root).rc == 0:
        config = "../wp-config.php"  # WordPress also looks one level up
    paths = [config if p == "wp-config.php" else p for p in CODE_PATHS] + [UPLOADS]
    writable = [p for p in paths if host.run("docker exec -u %s -w %s %s sh -c 'test -w \"$1\"' sh %s",
                                             user, root, name, p).rc == 0]
    figure("Writable by PHP's user (uid %s)" % user, ", ".join(writable) or "nothing")
    code = [p for p in writable if p != UPLOADS]
    assert not code, "PHP's user (%s) can write WordPress code: %s" % (user, ", ".join(code))
    assert UPLOADS in writable, "PHP's user (%s) cannot write %s: media uploads would fail" % (user, UPLOADS)


@pytest.mark.destructive
@pytest.mark.by_hand("sudo ln -s /etc/hostname <data>/wordpress/wp-content/probe-link; sudo mkdir -m 0700 "
                     "<data>/wordpress/wp-content/probe; sudo chown -h 33:33 ...; docker restart wordpress; "
                     "docker logs wordpress | grep 'removing the symbolic link'")
def test_restart_removes_links_and_migrates_private_directories_in_the_code(host, site, wordpress, figure):
    """What an earlier version could leave in the code tree (whole tree www-data's): a symbolic
    link, and a www-data directory of mode 0700 holding a 0600 file and a link. One restart of
    wordpress (root without CAP_DAC_READ_SEARCH): healthy again, the links removed and logged
    (their targets untouched), the directory and file root's and readable by www-data."""
    name, root, on_vm = wordpress
    tag = "inception-probe-%s" % uuid.uuid4().hex[:8]
    link, private = "wp-content/%s-link" % tag, "wp-content/%s" % tag
    link_vm, private_vm = "%s/%s" % (on_vm, link), "%s/%s" % (on_vm, private)
    with host.sudo():
        planted = host.run("ln -s /etc/hostname %s && mkdir %s && echo '<?php // probe' > %s/p.php "
                           "&& ln -s /etc %s/etc-link && chown -h 33:33 %s %s %s/p.php %s/etc-link "
                           "&& chmod 0600 %s/p.php && chmod 0700 %s",
                           link_vm, private_vm, private_vm, private_vm, link_vm, private_vm, private_vm,
                           private_vm, private_vm, private_vm)
        try:
            assert planted.rc == 0, "could not plant the probes: %s" % planted.stderr.strip()
            since = host.run("date -u +%Y-%m-%dT%H:%M:%SZ").stdout.strip()
            assert host.run("docker restart %s", name).rc == 0
            state = wait_until_healthy(host, site, ("wordpress",), timeout=180)["wordpress"]
            logs = host.run("docker logs --since %s %s", since, name)
            link_left = host.run("test -L %s", link_vm).rc == 0
            inner_left = host.run("test -L %s/etc-link", private_vm).rc == 0
            owner = host.run("stat -c %s %s %s/p.php", "%u:%g %a", private_vm, private_vm).stdout.splitlines()
            readable = host.run("docker exec -u www-data %s cat %s/%s/p.php", name, root, private)
        finally:
            host.run("rm -rf %s %s", private_vm, link_vm)
    text = logs.stdout + logs.stderr
    figure("wordpress after one restart with planted probes", "%s, %d link(s) removed" %
           ("/".join(state or ("?",)), text.count("removing the symbolic link")))
    assert state == ("running", "healthy"), "wordpress is %s after the restart: %s" % (state, text[-500:])
    assert not link_left and not inner_left, "a symbolic link in the code tree survived the restart"
    assert "removing the symbolic link %s/%s -> /etc/hostname" % (root, link) in text, text[-500:]
    assert len(owner) == 2 and all(o.startswith("0:0 ") for o in owner), "not given to root: %s" % owner
    assert readable.rc == 0 and "probe" in readable.stdout, "www-data cannot read a migrated 0600 file"


# --------------------------------------------------------------------------- TLS
Scan = namedtuple("Scan", "findings seconds output")


@pytest.fixture(scope="module")
def testssl(host, site, tmp_path_factory):
    """One testssl.sh run from this machine, through a tunnel to the VM's HTTPS port, sending
    the domain as SNI and Host; no DNS lookup, nothing else contacted. Every group of checks
    but the client simulation (-c: a minute more through the tunnel, and no finding of its own)."""
    program = shutil.which("testssl") or shutil.which("testssl.sh")
    if not program:
        cannot_decide("testssl.sh is not installed on this machine (apt-get install testssl.sh)")
    try:
        tunnel = Tunnel(host, site.https_port)
    except RuntimeError as error:
        cannot_decide(str(error))
    report = tmp_path_factory.mktemp("testssl") / "testssl.json"
    argv = [program, "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none", "--ip", "127.0.0.1",
            "--connect-timeout", "10", "--openssl-timeout", "10", "--jsonfile", str(report), *TESTSSL_CHECKS,
            "https://%s:%d/" % (site.domain, tunnel.port)]
    start = time.time()
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1800)
        output = done.stdout + done.stderr
    except subprocess.TimeoutExpired as error:
        output = "timed out after %d s: %s" % (error.timeout, error.output or "")
    finally:
        tunnel.close()
    seconds = time.time() - start
    try:
        findings = json.loads(report.read_text())
    except (OSError, ValueError):
        findings = []
    return Scan(findings if isinstance(findings, list) else [], seconds, output)


def scanned(testssl, graded=None):
    """testssl's findings graded (graded, when the caller already has them), asserting the scan completed."""
    if graded is None:
        graded = grade(testssl.findings)
    offered = [f["id"] for f in testssl.findings if re.fullmatch(r"TLS1_[23]", f.get("id", ""))
               and f.get("finding", "").startswith("offered")]
    assert offered and not graded.problems, "testssl.sh did not complete: %s" % (
        "; ".join(graded.problems) or testssl.output.strip()[-500:])
    return graded


@pytest.mark.by_hand("testssl -p -s -f -P -S -h -U --ip 127.0.0.1 https://{domain}:{https_port}/  # from a machine reaching the VM's port")
def test_testssl_finds_no_high_or_critical_but_the_self_signed_pair(testssl, figure):
    graded = grade(testssl.findings)
    figure("testssl.sh summary", "%s (%d s)" % (summary(graded.counts), testssl.seconds))
    scanned(testssl, graded)
    figure("testssl.sh findings expected of a self-signed certificate", "; ".join(
        "%s %s: %s (%s)" % (ident, severity, text, why) for ident, severity, text, why in graded.expected) or "none")
    assert not graded.unexpected, "testssl.sh HIGH/CRITICAL findings: %s" % "; ".join(graded.unexpected)


@pytest.mark.by_hand("testssl -p -s -f -P -S -h -U --severity MEDIUM --ip 127.0.0.1 https://{domain}:{https_port}/")
def test_testssl_medium_findings_are_explained(host, containers, testssl, figure):
    graded = scanned(testssl)
    for ident, text, why in graded.explained:
        figure("testssl.sh MEDIUM %s" % ident, "%s: %s" % (text, why))
    if any(ident.split()[0] == "BREACH" for ident, _, _ in graded.explained) and "nginx" in containers:
        gzip = host.run("docker exec %s nginx -T 2>/dev/null | grep -E '^[[:space:]]*gzip' | sort -u",
                        containers["nginx"]).stdout.split(";")
        figure("nginx's gzip settings", "; ".join(g.strip() for g in gzip if g.strip()) or "none")
    assert not graded.unexplained, "MEDIUM findings without an explanation: %s" % "; ".join(graded.unexplained)


@pytest.mark.by_hand("echo | openssl s_client -connect 127.0.0.1:{https_port} -servername unknown.invalid  # must fail")
def test_unknown_server_name_is_refused(host, site, figure):
    out = host.run("echo | timeout 20 openssl s_client -connect 127.0.0.1:%s -servername unknown.invalid 2>&1",
                   str(site.https_port))
    alert = re.search(r"alert ([a-z ]+)|(unrecognized name)", out.stdout)
    served = re.search(r"^subject=(.*)$", out.stdout, re.M)
    figure("TLS with SNI unknown.invalid", "refused (%s)" % (alert.group(0) if alert else "handshake failed")
           if out.rc != 0 else "accepted")
    assert out.rc != 0, "a handshake for unknown.invalid succeeded (certificate %s): nginx must refuse unknown " \
        "names (ssl_reject_handshake)" % (served.group(1).strip() if served else "?")


# --------------------------------------------------------------------------- secrets
@pytest.mark.by_hand("cd {project} && sudo sh -c 'for f in $(find secrets -type f); do for c in $(docker ps -q); do "
                     "docker inspect $c; docker logs $c 2>&1; docker history --no-trunc $(docker inspect -f {{.Image}} $c); "
                     "done | grep -qF -f \"$f\" && echo \"$f leaks\"; done'")
def test_no_secret_in_inspect_history_or_logs(host, site, discovery, inspected, figure):
    files = [discovery.vm_path("secrets/" + f) for f in discovery.tree.files("secrets")]
    files += [discovery.vm_path(rel) for rel in discovery.compose_secrets.values()
              if discovery.vm_path(rel) not in files]
    if not files:
        cannot_decide("no secret file under %s/secrets nor in the compose file" % site.project)
    labels, sources = [], []
    for service, entry in sorted(inspected.items()):
        name = entry["Name"].lstrip("/")
        labels += ["docker inspect %s" % name, "docker logs %s" % name]
        sources += ["docker inspect %s" % shlex.quote(name), "docker logs %s" % shlex.quote(name)]
    images = {}
    for entry in inspected.values():
        images.setdefault(entry["Image"], entry["Config"].get("Image") or entry["Image"])
    for image, label in sorted(images.items(), key=lambda kv: kv[1]):
        labels += ["docker history %s" % label, "docker image inspect %s" % label]
        sources += ["docker history --no-trunc --format '{{.CreatedBy}} {{.Comment}}' %s" % shlex.quote(image),
                    "docker image inspect %s" % shlex.quote(image)]
    with host.sudo():
        out = host.run("sh -c %s", leak_search_script(files, sources))
    needles, leaks = parse_leaks(out.stdout, labels)
    assert needles is not None, "the search did not run: %s" % out.stderr.strip()[-300:]
    figure("Secret values searched", "%d from %d files, in docker inspect and logs of %d containers and history and "
           "inspect of %d images" % (needles, len(files), len(inspected), len(images)))
    if not needles:
        cannot_decide("no secret value of 8 characters or more in %s" % ", ".join(files))
    assert not leaks, "secret values found: %s" % "; ".join(leaks)
