#!/usr/bin/env python3
"""Print the URL of the controller's apt cache for the harness's VMs, or nothing.

`make molecule` passes it to every scenario as inception_apt_proxy (INCEPTION_APT_PROXY),
so that the VMs' apt, the base image's debootstrap and the image builds inside the VMs
fetch each Debian package once per run through apt-cacher-ng (started by
tools/host-deps.sh under CI, or with APT_CACHE=yes).

The address is the controller's own source address on its default route, not the
Docker bridge's gateway: inside a VM, the inner engine's default bridge is 172.17.0.0/16
too, so a build container would take 172.17.0.1 for its own VM. Prints nothing (and says
why on stderr) when no cache answers or no usable address exists: the runs then fetch
from the mirror as a user's do.

    tools/vm/apt_proxy.py            # e.g. http://192.0.2.2:3142
    tools/vm/apt_proxy.py --port 3142
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys

# The inner engines' default bridge (and the outer one's): unreachable from a build
# container inside a VM under the same address.
SHADOWED = ipaddress.ip_network("172.17.0.0/16")


def source_address(probe="192.0.2.1"):
    """The controller's source address towards the default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect((probe, 9))
        return sock.getsockname()[0]


def usable(address):
    """Why the VMs' build containers cannot use this address, or None."""
    ip = ipaddress.ip_address(address)
    if ip.is_loopback or ip.is_unspecified:
        return "%s is not reachable from the VMs" % address
    if ip in SHADOWED:
        return "%s is inside %s, the inner engines' default bridge" % (address, SHADOWED)
    return None


def answers(address, port, timeout=2.0):
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3142)
    args = parser.parse_args(argv)
    try:
        address = source_address()
    except OSError as exc:
        print("apt_proxy: no default route (%s): no apt cache" % exc, file=sys.stderr)
        return 0
    reason = usable(address)
    if reason:
        print("apt_proxy: %s: no apt cache" % reason, file=sys.stderr)
        return 0
    if not answers(address, args.port):
        print("apt_proxy: nothing answers on %s:%d (APT_CACHE=yes make host-deps starts"
              " apt-cacher-ng): no apt cache" % (address, args.port), file=sys.stderr)
        return 0
    print("http://%s:%d" % (address, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
