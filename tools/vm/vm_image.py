#!/usr/bin/env python3
"""Build the local "fresh Debian VM" images used by Molecule and `make demo`.

A VM image is a debootstrapped Debian with systemd as PID 1, imported into the
host's Docker engine.  It is cached by the content hash of its recipe: a second
run with the same recipe finds the labelled image and returns at once.

    tools/vm/vm_image.py trixie            # -> inception-vm:trixie
    tools/vm/vm_image.py bookworm --force  # rebuild even if cached
    tools/vm/vm_image.py --print-ref trixie
"""

from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, os.pardir, "roles", "base_image", "module_utils"))

import rootfs_image  # noqa: E402  (path set above)

REPOSITORY = "inception-vm"
RELEASES = {"trixie": "13", "bookworm": "12"}
# What a fresh cloud/VM install of Debian has that Ansible needs: systemd, python3, sudo.
# No ifupdown/DHCP config: networking.service would hang the boot in a container.
PACKAGES = ("systemd-sysv", "python3", "python3-apt", "sudo", "ca-certificates", "dbus", "iproute2", "procps")
CHANGES = ('CMD ["/sbin/init"]', "ENV container=docker")


def recipe_for(suite, mirror):
    return rootfs_image.make_recipe(suite, mirror=mirror, include=PACKAGES, changes=CHANGES, prune_apt_lists=False)


def reference_for(suite):
    return "%s:%s" % (REPOSITORY, suite)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", choices=sorted(RELEASES), help="Debian release of the VM")
    parser.add_argument("--mirror", default=os.environ.get("DEBIAN_MIRROR", rootfs_image.DEFAULT_MIRROR))
    parser.add_argument("--force", action="store_true", help="rebuild even when the cached image matches")
    parser.add_argument("--print-ref", action="store_true", help="print the image reference and exit")
    args = parser.parse_args(argv)

    reference = reference_for(args.suite)
    if args.print_ref:
        print(reference)
        return 0
    import docker  # imported late: --print-ref must work without the SDK

    recipe = recipe_for(args.suite, args.mirror)
    client = docker.APIClient(version="auto", timeout=600)
    start = time.monotonic()
    changed, image_id = rootfs_image.ensure_image(client, reference, recipe, workdir="/var/tmp", force=args.force)
    state = "built" if changed else "cached"
    print("%s %s (recipe %s, %s) in %.1fs" % (
        state, reference, rootfs_image.recipe_hash(recipe), image_id[7:19], time.monotonic() - start))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (rootfs_image.RecipeError, RuntimeError) as exc:
        print("vm_image: %s" % exc, file=sys.stderr)
        sys.exit(2)
