#!/usr/bin/env bash
# Make sure this machine (the controller) has what the tests and the VM harness need
# (and, under CI or with APT_CACHE=yes, an apt cache for the VMs: apt-cacher-ng on port 3142):
# a running Docker engine, debootstrap, shellcheck, python3-venv, an SSH client, gpg, php-cli
# (php -l on the Redis drop-in), chromium (the evaluation report's screenshots, taken
# headless from here) and testssl.sh (the evaluation suite's TLS grading, run from here). Installs with apt when
# missing (needs root), and starts dockerd by hand when there is no systemd.
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
python3 -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# The fleet scenario reaches its VMs over SSH; the harness signs its apt repository with gpg.
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v gpg >/dev/null 2>&1 || need+=(gpg)
# php -l checks the bonus Redis object-cache drop-in (tests/unit/test_bonus.py).
command -v php >/dev/null 2>&1 || need+=(php-cli)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The security section grades nginx's TLS with testssl.sh, through a tunnel from here.
command -v testssl >/dev/null 2>&1 || need+=(testssl.sh)
# CI (or APT_CACHE=yes): the apt cache started below.
apt_cache=""
if [ "${CI:-}" = true ] || [ "${APT_CACHE:-}" = yes ]; then apt_cache=yes; fi
[ -z "$apt_cache" ] || [ -x /usr/sbin/apt-cacher-ng ] || need+=(apt-cacher-ng)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "host-deps: missing ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "host-deps: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "host-deps: the Docker engine is not reachable; start it (sudo systemctl start docker) or add yourself to the docker group" >&2
    exit 1
  fi
  if [ -d /run/systemd/system ]; then
    systemctl start docker
  else
    echo "host-deps: starting dockerd (no systemd here), log in /var/log/dockerd.log"
    nohup dockerd >/var/log/dockerd.log 2>&1 &
    echo $! > /run/inception-dockerd.pid
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "host-deps: dockerd did not come up, see /var/log/dockerd.log" >&2; exit 1; }
fi
# CI (or APT_CACHE=yes): Debian's apt-cacher-ng on this machine, so that the VMs' apt and
# the image builds inside them fetch each package once per run (tools/vm/apt_proxy.py
# gives its address; the roles take it as inception_apt_proxy).
cache_answers() { (exec 3<>/dev/tcp/127.0.0.1/3142) 2>/dev/null; }
# apt-cacher-ng start|restart, through systemd where it runs (no systemd: its init script).
cache_service() {
  if [ -d /run/systemd/system ]; then systemctl "$1" apt-cacher-ng; else /etc/init.d/apt-cacher-ng "$1" >/dev/null; fi
}
if [ -n "$apt_cache" ]; then
  # Fetch from the mirror the VMs name (the package's default backend is ftp.debian.org);
  # a backend list someone already wrote is kept.
  backends=/etc/apt-cacher-ng/backends_debian
  if [ ! -s "$backends" ] && [ "$(id -u)" -eq 0 ]; then
    echo "${DEBIAN_MIRROR:-http://deb.debian.org/debian}/" > "$backends"
    if cache_answers; then cache_service restart; fi
  fi
  if ! cache_answers; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "host-deps: apt-cacher-ng is not running; start it (sudo systemctl start apt-cacher-ng)" >&2
      exit 1
    fi
    cache_service start
    # .ci/run stops what it started.
    touch /run/inception-apt-cacher-ng.started
    for _ in $(seq 1 20); do cache_answers && break; sleep 0.5; done
  fi
  cache_answers || { echo "host-deps: apt-cacher-ng did not start on port 3142" >&2; exit 1; }
fi
echo "host-deps: docker $(docker version --format '{{.Server.Version}}'), $(debootstrap --version), $(chromium --version 2>/dev/null | head -n 1)"
