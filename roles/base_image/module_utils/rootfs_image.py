# -*- coding: utf-8 -*-
"""Build a Debian root filesystem with debootstrap and import it as a Docker image.

Pure helpers (recipe, content hash, command lines) are separated from the two
side-effecting steps (running debootstrap, streaming the tree into the engine)
so plain pytest can exercise them.  Used by the ``debian_rootfs_image`` module
of the ``base_image`` role and by ``tools/vm/vm_image.py`` (the fresh-VM harness).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from datetime import datetime, timezone

# Bump when the way a recipe becomes an image changes, so cached images are rebuilt.
RECIPE_FORMAT = 1
LABEL_PREFIX = "org.inception.rootfs"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SECURITY_MIRROR = "http://deb.debian.org/debian-security"
# Suites without <suite>-updates and <suite>-security archives.
SUITES_WITHOUT_UPDATES = ("sid",)
KNOWN_SUITES = ("bullseye", "bookworm", "trixie", "forky", "sid")
# Dockerfile instructions `docker import --change` accepts.
IMPORT_INSTRUCTIONS = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "USER", "VOLUME", "WORKDIR")
_PACKAGE_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_REPO_RE = re.compile(r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_URL_RE = re.compile(r"^https?://[^\s]+$")

# A slim image (like Debian's -slim images): dpkg leaves these paths out of every
# package installed later, and the same paths are removed from the debootstrapped tree.
SLIM_DPKG_EXCLUDES = (
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/groff/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/locale/*",
    "path-include=/usr/share/locale/locale.alias",
    "path-exclude=/usr/share/lintian/*",
    "path-exclude=/usr/share/linda/*",
)
# apt in a slim image: no .deb kept after installing, no package caches, no translations.
SLIM_APT_CONF = (
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb '
    '/var/cache/apt/*.bin || true"; };',
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb '
    '/var/cache/apt/*.bin || true"; };',
    'Dir::Cache::pkgcache "";',
    'Dir::Cache::srcpkgcache "";',
    'Acquire::Languages "none";',
)
SLIM_CONFIG_FILES = {
    "etc/dpkg/dpkg.cfg.d/inception-slim": SLIM_DPKG_EXCLUDES,
    "etc/apt/apt.conf.d/inception-slim": SLIM_APT_CONF,
}


class RecipeError(ValueError):
    """A recipe that cannot produce an image; the message names the field."""


def apt_sources(suite, mirror=DEFAULT_MIRROR, security_mirror=DEFAULT_SECURITY_MIRROR):
    """The one-line-style sources.list of an image that gets Debian's updates:
    ``<suite>``, ``<suite>-updates`` (point-release fixes) and ``<suite>-security``."""
    mirror = mirror.rstrip("/")
    lines = ["deb %s %s main" % (mirror, suite)]
    if suite not in SUITES_WITHOUT_UPDATES:
        lines += ["deb %s %s-updates main" % (mirror, suite),
                  "deb %s %s-security main" % (security_mirror.rstrip("/"), suite)]
    return lines


def make_recipe(suite, mirror=DEFAULT_MIRROR, variant="minbase", include=(), changes=(), prune_apt_lists=True,
                slim=False, updates=False, security_mirror=DEFAULT_SECURITY_MIRROR):
    """Return a normalised, validated recipe dict (the content that is hashed).

    ``prune_apt_lists`` drops the package lists like Debian's official images do;
    a VM image keeps them, as an installed system has them.  ``slim`` leaves out
    docs, man pages, locales and apt caches (see SLIM_*), now and for later installs.
    ``updates`` writes ``<suite>-updates`` and ``<suite>-security`` into the image's
    sources (see apt_sources) and upgrades the tree from them at build time.
    """
    if suite not in KNOWN_SUITES:
        raise RecipeError(
            "suite %r is not a Debian codename this tool knows; use one of: %s"
            % (suite, ", ".join(KNOWN_SUITES))
        )
    if variant not in ("minbase", "buildd", "fakechroot", "-"):
        raise RecipeError("variant %r is not a debootstrap variant (minbase, buildd, fakechroot)" % variant)
    if not _URL_RE.match(mirror or ""):
        raise RecipeError("mirror %r must be an http(s) URL, e.g. %s" % (mirror, DEFAULT_MIRROR))
    if updates and not _URL_RE.match(security_mirror or ""):
        raise RecipeError("security_mirror %r must be an http(s) URL, e.g. %s"
                          % (security_mirror, DEFAULT_SECURITY_MIRROR))
    bad = [p for p in include if not _PACKAGE_RE.match(p)]
    if bad:
        raise RecipeError("include has invalid Debian package names: %s" % ", ".join(bad))
    bad = [c for c in changes if c.split(" ", 1)[0].upper() not in IMPORT_INSTRUCTIONS]
    if bad:
        raise RecipeError(
            "changes may only use %s at import time; got: %s" % (", ".join(IMPORT_INSTRUCTIONS), "; ".join(bad))
        )
    recipe = {
        "format": RECIPE_FORMAT,
        "suite": suite,
        "mirror": mirror.rstrip("/"),
        "variant": variant,
        "include": sorted(set(include)),
        "changes": list(changes),
        "prune_apt_lists": bool(prune_apt_lists),
    }
    if slim:  # only when set, so the recipes (and cached images) without it keep their hash
        recipe["slim"] = {path: list(lines) for path, lines in sorted(SLIM_CONFIG_FILES.items())}
    if updates:  # the same: recipes without it (the VM images) keep their hash
        recipe["updates"] = {"sources": apt_sources(suite, mirror, security_mirror)}
    return recipe


def recipe_hash(recipe):
    """Stable content hash of a recipe (first 16 hex digits of its sha256)."""
    blob = json.dumps(recipe, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


def split_reference(reference):
    """Split ``repo:tag`` and refuse a missing or ``latest`` tag."""
    repo, sep, tag = reference.rpartition(":")
    if not sep or "/" in tag:
        raise RecipeError("image %r needs an explicit tag (repo:tag); 'latest' is not allowed" % reference)
    if tag == "latest":
        raise RecipeError("image %r: the tag 'latest' is not allowed, use e.g. the codename" % reference)
    if not _REPO_RE.match(repo) or not _TAG_RE.match(tag):
        raise RecipeError("image %r is not a valid repo:tag reference" % reference)
    return repo, tag


def image_labels(recipe, now=None, packages=None):
    """Labels stamped on the imported image; the hash label is the cache key.

    ``packages`` (the tree's installed_packages) adds ``.packages``, the digest of the
    installed package versions: a refresh that finds the same digest keeps the image.
    """
    now = now or datetime.now(timezone.utc)
    labels = {
        LABEL_PREFIX + ".hash": recipe_hash(recipe),
        LABEL_PREFIX + ".suite": recipe["suite"],
        LABEL_PREFIX + ".source": "debootstrap --variant=%s %s %s" % (recipe["variant"], recipe["suite"], recipe["mirror"]),
        LABEL_PREFIX + ".include": ",".join(recipe["include"]),
        LABEL_PREFIX + ".build-date": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if packages is not None:
        labels[LABEL_PREFIX + ".packages"] = packages_digest(packages)
    return labels


def installed_packages(target):
    """``["name version", ...]`` (sorted) of the packages installed in the tree at ``target``,
    read from its dpkg status file (what ``dpkg-query -W`` prints inside the image)."""
    packages = []
    path = os.path.join(target, "var/lib/dpkg/status")
    with open(path, encoding="utf-8", errors="replace") as handle:
        for stanza in handle.read().split("\n\n"):
            fields = {}
            for line in stanza.splitlines():
                key, sep, value = line.partition(":")
                if sep and not line[:1].isspace():
                    fields[key] = value.strip()
            if fields.get("Package") and fields.get("Status", "").endswith(" installed"):
                packages.append("%s %s" % (fields["Package"], fields.get("Version", "")))
    return sorted(packages)


def packages_digest(packages):
    """First 16 hex digits of the sha256 of the sorted package list."""
    return hashlib.sha256("\n".join(sorted(packages)).encode("utf-8")).hexdigest()[:16]


def same_packages(image_attrs, recipe, packages):
    """True when an inspected image carries this recipe's hash and this package list's digest."""
    labels = ((image_attrs or {}).get("Config") or {}).get("Labels") or {}
    return is_cached(image_attrs, recipe) and labels.get(LABEL_PREFIX + ".packages") == packages_digest(packages)


def import_changes(recipe, labels):
    """Dockerfile instructions applied at import time (``docker import -c``)."""
    changes = list(recipe["changes"])
    for key in sorted(labels):
        changes.append("LABEL %s=%s" % (key, json.dumps(labels[key])))
    return changes


def debootstrap_command(recipe, target):
    cmd = ["debootstrap", "--variant=%s" % recipe["variant"]]
    if recipe["include"]:
        cmd.append("--include=%s" % ",".join(recipe["include"]))
    cmd += [recipe["suite"], target, recipe["mirror"]]
    return cmd


def is_cached(image_attrs, recipe):
    """True when an inspected image carries this recipe's hash label."""
    if not image_attrs:
        return False
    labels = (image_attrs.get("Config") or {}).get("Labels") or {}
    return labels.get(LABEL_PREFIX + ".hash") == recipe_hash(recipe)


def _prune_rootfs(target, prune_apt_lists):
    """Drop downloaded .debs (and the package lists if asked): large and stale in an image."""
    subs = ("var/cache/apt/archives", "var/lib/apt/lists") if prune_apt_lists else ("var/cache/apt/archives",)
    for sub in subs:
        path = os.path.join(target, sub)
        if not os.path.isdir(path):
            continue
        for name in os.listdir(path):
            full = os.path.join(path, name)
            if os.path.isfile(full) and (name.endswith(".deb") or sub.endswith("lists")):
                os.unlink(full)


def _excluded(relpath):
    """True when dpkg would leave ``relpath`` (relative to /) out under SLIM_DPKG_EXCLUDES."""
    path = "/" + relpath
    excluded = False
    for rule in SLIM_DPKG_EXCLUDES:  # dpkg semantics: the last matching rule wins
        kind, _, pattern = rule.partition("=")
        if fnmatch.fnmatchcase(path, pattern):
            excluded = kind == "path-exclude"
    return excluded


def _slim_rootfs(target, recipe):
    """Write the slim dpkg/apt configuration and remove what it excludes from the tree."""
    for relpath, lines in recipe["slim"].items():
        path = os.path.join(target, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("# Written by the base_image role: a slim image (see rootfs_image.py).\n")
            handle.write("\n".join(lines) + "\n")
        os.chmod(path, 0o644)
    for top in ("usr/share/doc", "usr/share/man", "usr/share/groff", "usr/share/info", "usr/share/locale",
                "usr/share/lintian", "usr/share/linda"):
        for root, dirs, files in os.walk(os.path.join(target, top), topdown=False):
            for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
                full = os.path.join(root, name)
                if _excluded(os.path.relpath(full, target)):
                    os.unlink(full)
            if root != os.path.join(target, top) and not os.listdir(root):
                os.rmdir(root)
    for name in ("pkgcache.bin", "srcpkgcache.bin"):
        path = os.path.join(target, "var/cache/apt", name)
        if os.path.isfile(path):
            os.unlink(path)
    for sub in ("var/log/apt", "var/log"):
        directory = os.path.join(target, sub)
        for name in os.listdir(directory) if os.path.isdir(directory) else ():
            if name.endswith(".log") or name in ("eipp.log.xz",):
                full = os.path.join(directory, name)
                if os.path.isfile(full):
                    os.unlink(full)


POLICY_RC_D = "usr/sbin/policy-rc.d"


def upgrade_commands(recipe):
    """The commands run with ``chroot <tree>`` to apply the updates (env, argv)."""
    env = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    dpkg = ["-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"]
    return env, [
        ["apt-get", "-q", "update"],
        ["apt-get", "-q", "-y"] + dpkg + ["dist-upgrade"],
        ["apt-get", "clean"],
    ]


def _run_logged(argv, env=None, name=None):
    """Run ``argv``; when it fails, raise with ``name`` (the command line by default) and
    the last lines of its output."""
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, check=False)
    if proc.returncode != 0:
        tail = proc.stdout.decode("utf-8", "replace").strip().splitlines()[-15:]
        raise RuntimeError("%s failed (%d):\n%s" % (name or " ".join(argv), proc.returncode, "\n".join(tail)))
    return proc


def _apply_updates(target, recipe):
    """Write the image's sources (suite, -updates, -security) and upgrade the tree from them.

    apt runs chrooted, with /proc mounted and no service started (policy-rc.d);
    an apt cache given as http_proxy in the environment is used and not written.
    """
    with open(os.path.join(target, "etc/apt/sources.list"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(recipe["updates"]["sources"]) + "\n")
    policy = os.path.join(target, POLICY_RC_D)
    with open(policy, "w", encoding="utf-8") as handle:
        handle.write("#!/bin/sh\nexit 101\n")
    os.chmod(policy, 0o755)
    env, commands = upgrade_commands(recipe)
    for key in ("http_proxy", "https_proxy", "no_proxy"):
        if os.environ.get(key):
            env[key] = os.environ[key]
    proc_dir = os.path.join(target, "proc")
    mounted = subprocess.run(["mount", "-t", "proc", "proc", proc_dir], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, check=False).returncode == 0
    try:
        for argv in commands:
            _run_logged(["chroot", target] + argv, env=env)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", proc_dir], check=False)
        os.unlink(policy)


def build_rootfs(recipe, workdir=None):
    """Run debootstrap into a fresh temporary directory and return its path."""
    if shutil.which("debootstrap") is None:
        raise RuntimeError("debootstrap is not installed: apt-get install debootstrap")
    target = tempfile.mkdtemp(prefix="rootfs-%s-" % recipe["suite"], dir=workdir)
    try:
        _run_logged(debootstrap_command(recipe, target), name="debootstrap")
        if recipe.get("updates"):
            _apply_updates(target, recipe)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    _prune_rootfs(target, recipe["prune_apt_lists"])
    if recipe.get("slim"):
        _slim_rootfs(target, recipe)
    return target


def write_tarball(target, tar_path):
    """Write the tree at ``target`` to ``tar_path`` (0600) atomically."""
    directory = os.path.dirname(tar_path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".rootfs-", suffix=".tar")
    os.close(fd)
    try:
        subprocess.run(["tar", "--numeric-owner", "--xattrs", "-C", target, "-cf", tmp, "."],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.chmod(tmp, 0o600)
        os.replace(tmp, tar_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def import_tarball(api_client, tar_path, reference, changes):
    """Import a rootfs tarball as ``reference``; return the image id.

    The SDK is given the path, so it sends a Content-Length body: newer engines
    reject the SDK's chunked uploads ("chunked line ends with bare LF").
    """
    repo, tag = split_reference(reference)
    api_client.import_image(src=tar_path, repository=repo, tag=tag, changes=changes)
    return api_client.inspect_image(reference)["Id"]


def import_rootfs(api_client, target, reference, changes, tar_path=None, workdir=None):
    """Import the tree at ``target`` through a tarball (kept at ``tar_path`` if given)."""
    keep = tar_path is not None
    if not keep:
        fd, tar_path = tempfile.mkstemp(dir=workdir, prefix="rootfs-", suffix=".tar")
        os.close(fd)
    try:
        write_tarball(target, tar_path)
        return import_tarball(api_client, tar_path, reference, changes)
    finally:
        if not keep and os.path.exists(tar_path):
            os.unlink(tar_path)


def ensure_image(api_client, reference, recipe, workdir=None, force=False):
    """Build and import ``reference`` unless an image with the same recipe hash exists.

    Returns ``(changed, image_id)``.
    """
    split_reference(reference)
    try:
        attrs = api_client.inspect_image(reference)
    except Exception:  # docker.errors.ImageNotFound; keep this module SDK-agnostic
        attrs = None
    if attrs and not force and is_cached(attrs, recipe):
        return False, attrs["Id"]
    target = build_rootfs(recipe, workdir=workdir)
    try:
        image_id = import_rootfs(api_client, target, reference, import_changes(recipe, image_labels(recipe)),
                                 workdir=workdir)
    finally:
        shutil.rmtree(target, ignore_errors=True)
    return True, image_id
