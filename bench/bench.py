#!/usr/bin/env python3
"""`make bench`: measure the demo VM (make demo) and write bench/REPORT.md.

Runs, in order, on a fresh demo VM (it destroys an existing one first):
cold `make demo`, warm `make demo` (both with ansible.posix.profile_tasks),
image sizes, idle memory per container, wrk inside the VM (the anonymous front
page with and without the page cache, a static file, the logged-in dashboard),
the evaluator's clean-slate wipe then `make`, and a cold image build (no build
cache). Timings live here, not in the tests. Only the venv and Debian tools:
wrk comes from Debian's `wrk` package, installed in the VM.
"""

import argparse
import datetime
import os
import re
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORT = os.path.join(ROOT, "bench", "REPORT.md")
VM = os.environ.get("DEMO_NAME", "inception-demo")
SERVICES = ("nginx", "wordpress", "mariadb")
# Before the slim images, measured on the demo VM with `docker images`: the mandatory ones and
# the base on main 0b968d4, the bonus ones when they landed (commit 912b100, on that base).
BEFORE_MB = {"nginx:1.0": 227, "wordpress:1.0": 455, "mariadb:1.0": 488, "debian:bookworm": 117,
             "redis:1.0": 212, "ftp:1.0": 212, "website:1.0": 197, "adminer:1.0": 322, "monitoring:1.0": 566}
# The idle-memory budgets (MiB): the mandatory three, and everything with every bonus.
BUDGET_MANDATORY, BUDGET_ALL = 200, 600
WIPE = ("docker stop $(docker ps -qa); docker rm $(docker ps -qa); "
        "docker rmi -f $(docker images -qa); docker volume rm $(docker volume ls -q); "
        "docker network rm $(docker network ls -q) 2>/dev/null; true")
TASK_LINE = re.compile(r"^(?P<task>.+?) -{3,} (?P<secs>\d+\.\d+)s$")
RECAP = re.compile(r"^%s\s+: ok=(\d+)\s+changed=(\d+).*failed=(\d+)" % re.escape(VM))


def log(message):
    print("bench: %s" % message, flush=True)


def run(argv, env=None, check=True, capture=True):
    proc = subprocess.run(argv, cwd=ROOT, env=env, text=True, check=False,
                          stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None)
    if check and proc.returncode != 0:
        sys.exit("bench: %s failed (%d):\n%s" % (" ".join(argv), proc.returncode, (proc.stdout or "")[-3000:]))
    return proc


def vm(command, check=True):
    """A shell command inside the demo VM (as root)."""
    return run(["docker", "exec", VM, "sh", "-c", command], check=check)


def make(target, profile=False):
    env = dict(os.environ)
    if profile:
        env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks"
    start = time.monotonic()
    proc = run(["make", "-o", ".venv/.installed", target], env=env)
    return time.monotonic() - start, proc.stdout


def slowest(output, count=10):
    tasks = [(float(m.group("secs")), m.group("task").strip())
             for m in (TASK_LINE.match(line) for line in output.splitlines()) if m]
    return sorted(tasks, reverse=True)[:count]


def recap(output):
    found = [RECAP.match(line) for line in output.splitlines()]
    found = [m for m in found if m]
    return "ok=%s changed=%s failed=%s" % found[-1].groups() if found else "no recap"


def login():
    with open(os.path.join(ROOT, "inventory", "group_vars", "all", "inception.yml"), encoding="utf-8") as handle:
        return re.search(r"^inception_login:\s*(\S+)", handle.read(), re.M).group(1).strip("'\"")


def image_sizes():
    """MB of every tagged image in the VM (ours, the base), the ones with a "before" first."""
    out = vm("docker images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>' | sort -u").stdout.split()
    sizes = {}
    for ref in [r for r in BEFORE_MB if r in out] + [r for r in out if r not in BEFORE_MB]:
        size = vm("docker image inspect -f '{{.Size}}' %s" % ref, check=False).stdout.strip()
        sizes[ref] = int(size) / 1e6 if size.isdigit() else None
    return sizes


def idle_memory():
    time.sleep(20)  # let the stack settle
    out = vm("docker stats --no-stream --format '{{.Name}} {{.MemUsage}}'").stdout
    memory = {}
    for line in out.splitlines():
        name, usage = line.split(" ", 1)
        value, unit = re.match(r"([\d.]+)\s*([KMG]i?B)", usage).groups()
        memory[name] = float(value) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}.get(unit, 1)
    return memory


def seconds(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 6e4}[unit]


def wrk(url, connections, duration, header=None):
    """wrk inside the VM; returns req/s, p50 and p99 (ms), errors and requests."""
    extra = " -H %s" % shlex.quote(header) if header else ""
    # A 10 s timeout: wrk's default 2 s would count a slow answer as an error.
    out = vm("wrk -t2 -c%d -d%ds --timeout 10s --latency%s %s" % (connections, duration, extra, shlex.quote(url))).stdout
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": seconds(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": seconds(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
    }


def log_in(domain, project, user, secret):
    """Log the administrator in with curl inside the VM; return the Cookie header (never printed)."""
    jar = "/root/.bench-cookies"
    url = "https://%s/wp-login.php" % domain
    vm("rm -f %s; curl -ksS -o /dev/null -c %s %s" % (jar, jar, url))
    vm("printf %%s \"$(cat %s/secrets/%s)\" | curl -ksS -o /dev/null -b %s -c %s --data-urlencode log=%s "
       "--data-urlencode pwd@- --data-urlencode testcookie=1 %s" % (project, secret, jar, jar, user, url))
    cookies = vm("awk '!/^#/ || /^#HttpOnly_/ {n=split($0,f,\"\\t\"); if (n>=7) printf \"%%s=%%s; \", f[6], f[7]}' %s; "
                 "rm -f %s" % (jar, jar)).stdout.strip().rstrip(";")
    if "wordpress_logged_in_" not in cookies:
        sys.exit("bench: the administrator could not log in")
    return "Cookie: " + cookies


def table(rows, head):
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    args = parser.parse_args()
    name = login()
    domain, project = "%s.42.fr" % name, "/home/%s/inception" % name
    commit = run(["git", "rev-parse", "--short", "HEAD"]).stdout.strip()

    log("destroying the demo VM, then a cold `make demo`")
    run(["make", "demo-destroy"])
    cold_s, cold_out = make("demo", profile=True)
    log("warm `make demo`")
    warm_s, warm_out = make("demo", profile=True)

    sizes = image_sizes()
    memory = idle_memory()

    log("wrk in the VM")
    vm("command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk) >/dev/null")
    base = "https://%s/" % domain
    static = base + "wp-includes/js/jquery/jquery.min.js"
    vm("curl -ksSf -o /dev/null %s" % shlex.quote(static))
    cookie = log_in(domain, project, vm("sed -n 's/^WP_ADMIN_USER=//p' %s/srcs/.env" % project).stdout.strip(),
                    "wp_admin_password.txt")
    for url in (base, base + "?nocache=1", static):  # warm up PHP's opcache and the page cache
        wrk(url, 4, 3)
    results = [
        ("anonymous front page, page cache", wrk(base, args.connections, args.duration)),
        ("anonymous front page, cache bypassed (`/?nocache=1`)", wrk(base + "?nocache=1", args.connections, args.duration)),
        ("static file (`jquery.min.js`)", wrk(static, args.connections, args.duration)),
        ("logged-in dashboard (`/wp-admin/`)", wrk(base + "wp-admin/", args.connections, args.duration, header=cookie)),
    ]

    log("clean-slate wipe then `make` in the VM")
    vm(WIPE)
    start = time.monotonic()
    vm("make -C %s" % project)
    vm("for i in $(seq 300); do curl -ksf -o /dev/null https://%s/ && exit 0; sleep 1; done; exit 1" % domain)
    wipe_s = time.monotonic() - start

    log("cold image build (no build cache)")
    vm("docker builder prune -af >/dev/null")
    start = time.monotonic()
    vm("cd %s/srcs && docker compose build --no-cache" % project)
    build_s = time.monotonic() - start

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cores = vm("nproc").stdout.strip()
    cached, bypassed = results[0][1], results[1][1]
    out = ["# Benchmark of the demo VM", "",
           "`make bench` at commit `%s`, %s, on the demo VM (%s cores), wrk inside the VM: %d connections, "
           "2 threads, %d s per run, over HTTPS to `%s`." % (commit, now, cores, args.connections, args.duration, domain),
           "", "## Provisioning", "",
           table([("cold `make demo` (fresh VM, base image by debootstrap)", "%.0f" % cold_s, recap(cold_out)),
                  ("warm `make demo` (nothing to do)", "%.0f" % warm_s, recap(warm_out)),
                  ("clean-slate wipe then `make`, to the site answering", "%.0f" % wipe_s, ""),
                  ("cold image build (`docker compose build --no-cache`, no build cache)", "%.0f" % build_s, "")],
                 ("what", "seconds", "recap")),
           "", "Warm / cold: %.2f." % (warm_s / cold_s), ""]
    for title, output in (("cold", cold_out), ("warm", warm_out)):
        out += ["### Ten slowest tasks, %s run" % title, "",
                table([("%.1f" % s, t.replace("|", "\\|")) for s, t in slowest(output)], ("seconds", "task")), ""]
    mandatory = sum(memory.get(n) or 0 for n in SERVICES)
    everything = sum(memory.values())
    out += ["## Images", "",
            table([(ref, "%d" % BEFORE_MB[ref] if ref in BEFORE_MB else "", "%.0f" % mb if mb else "?",
                    "%.0f %%" % (100 * (1 - mb / BEFORE_MB[ref])) if mb and ref in BEFORE_MB else "")
                   for ref, mb in sizes.items()],
                  ("image", "before (MB)", "now (MB)", "smaller by")),
            "", "## Idle memory", "",
            table([(n, "%.1f" % memory[n] if memory.get(n) is not None else "?") for n in SERVICES] +
                  [("mandatory total (budget %d)" % BUDGET_MANDATORY, "%.1f" % mandatory)] +
                  [(n, "%.1f" % v) for n, v in sorted(memory.items()) if n not in SERVICES] +
                  [("total, every container (budget %d)" % BUDGET_ALL, "%.1f" % everything)], ("container", "MiB")),
            "", "## wrk", "",
            table([(what, "%.0f" % r["rps"], "%.1f" % r["p50"], "%.1f" % r["p99"], r["errors"], r["requests"],
                    "%.1f" % (r["rps"] / bypassed["rps"])) for what, r in results],
                  ("target", "req/s", "p50 (ms)", "p99 (ms)", "errors", "requests",
                   "req/s ratio to the uncached front page")),
            "", "Page cache on / bypassed, same page, same run: %.1fx the requests per second, p99 %.1f ms vs %.1f ms."
            % (cached["rps"] / bypassed["rps"], cached["p99"], bypassed["p99"]), ""]
    with open(REPORT, "w", encoding="utf-8") as handle:
        handle.write("\n".join(out))
    log("wrote %s" % os.path.relpath(REPORT, ROOT))
    print("\n".join(out))


if __name__ == "__main__":
    main()
