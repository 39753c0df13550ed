#!/usr/bin/env python3
"""Build a local, signed apt repository laid out like Docker's, for the test harness.

Docker's repository (download.docker.com) is out of reach of these machines, yet Debian 12
hosts install Docker from it (`docker_engine_source: docker`). This builds a stand-in with
the same layout and package names, so the role's real `docker` path runs end to end (key,
deb822 source, apt update, packages):

    <out>/linux/debian/gpg                                     the signing key (armored)
    <out>/linux/debian/dists/bookworm/{InRelease,Release,Release.gpg}
    <out>/linux/debian/dists/bookworm/stable/binary-amd64/Packages
    <out>/linux/debian/pool/stable/*.deb

The packages are Debian 13's engine binaries (they need glibc >= 2.34, which Debian 12 has)
renamed to Docker's names: docker-ce (docker.io), docker-ce-cli (docker-cli), containerd.io
(containerd, with Debian 12's own runc inside, since trixie's runc needs glibc 2.38),
docker-buildx-plugin (docker-buildx) and docker-compose-plugin (docker-compose).

The result is cached by content: the name of its directory is a hash of this recipe and of
the exact source packages (their SHA256 in Debian's index), so a second run with the same
inputs returns at once, and a new Debian upload builds a new repository.

    tools/vm/docker_repo.py [--cache /var/cache/inception-harness]   # prints the repository root

Test harness only: never used on a user's host.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
CODENAME = "bookworm"
ARCH = "amd64"
RECIPE_VERSION = "2"
# Docker's package name <- (Debian package, suite), and how its control changes.
PACKAGES = {
    "docker-ce": ("docker.io", "trixie"),
    "docker-ce-cli": ("docker-cli", "trixie"),
    "containerd.io": ("containerd", "trixie"),
    "docker-buildx-plugin": ("docker-buildx", "trixie"),
    "docker-compose-plugin": ("docker-compose", "trixie"),
}
RUNC = ("runc", "bookworm")
# Relations rewritten to Docker's names; None drops the relation (bundled elsewhere).
RENAMED_RELATIONS = {"containerd": "containerd.io", "runc": None, "docker-cli": "docker-ce-cli",
                     "docker.io": "docker-ce", "docker-compose": "docker-compose-plugin",
                     "docker-buildx": "docker-buildx-plugin"}
CONFLICTS = {
    "docker-ce": "docker.io, docker-engine",
    "docker-ce-cli": "docker-cli",
    "containerd.io": "containerd, runc",
    "docker-buildx-plugin": "docker-buildx",
    "docker-compose-plugin": "docker-compose",
}


def log(message):
    print("docker_repo: %s" % message, file=sys.stderr)


def run(argv, **kw):
    return subprocess.run(argv, check=True, text=True, capture_output=True, **kw).stdout


class Apt(object):
    """A private apt configuration that sees bookworm and trixie, and touches nothing of the host's."""

    def __init__(self, root):
        self.root = root
        for sub in ("lists/partial", "cache/archives/partial"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        open(os.path.join(root, "status"), "a").close()
        with open(os.path.join(root, "sources.list"), "w") as handle:
            for suite in ("bookworm", "trixie"):
                handle.write("deb %s %s main\n" % (MIRROR, suite))
        self.config = os.path.join(root, "apt.conf")
        with open(self.config, "w") as handle:
            handle.write('Dir::Etc::SourceList "%s/sources.list";\nDir::Etc::SourceParts "/nonexistent";\n'
                         'Dir::State::Lists "%s/lists";\nDir::Cache "%s/cache";\nDir::State::status "%s/status";\n'
                         'APT::Architecture "%s";\nAPT::Architectures "%s";\n'
                         % (root, root, root, root, ARCH, ARCH))
        self.env = dict(os.environ, APT_CONFIG=self.config)

    def update(self):
        run(["apt-get", "update", "-qq"], env=self.env)

    def record(self, package, suite):
        """The index record of ``package`` in ``suite`` (Version, SHA256, Filename...)."""
        out = run(["apt-cache", "show", "%s/%s" % (package, suite)], env=self.env)
        fields = {}
        for line in out.split("\n\n")[0].splitlines():
            if line and not line[0].isspace() and ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        return fields

    def download(self, package, suite, directory):
        run(["apt-get", "download", "-qq", "%s/%s" % (package, suite)], env=self.env, cwd=directory)
        for name in os.listdir(directory):
            if name.startswith(package + "_") and name.endswith(".deb"):
                return os.path.join(directory, name)
        raise RuntimeError("apt-get download %s/%s left no .deb" % (package, suite))


def recipe_hash(records):
    digest = hashlib.sha256(RECIPE_VERSION.encode())
    with open(os.path.abspath(__file__), "rb") as handle:
        digest.update(handle.read())
    for name in sorted(records):
        digest.update(("%s=%s\n" % (name, records[name].get("SHA256", ""))).encode())
    return digest.hexdigest()[:16]


def rewrite_relations(value):
    kept = []
    for alternative_group in value.split(","):
        alternatives = []
        for alternative in alternative_group.split("|"):
            name = alternative.strip().split(" ", 1)[0].split(":", 1)[0]
            if name in RENAMED_RELATIONS:
                new = RENAMED_RELATIONS[name]
                if new is None:
                    continue
                alternative = new
            alternatives.append(alternative.strip())
        if alternatives:
            kept.append(" | ".join(alternatives))
    return ", ".join(kept)


def rewrite_control(text, new_name):
    lines, out = text.rstrip("\n").splitlines(), []
    skip = False
    for line in lines:
        if line[:1].isspace():
            if not skip:
                out.append(line)
            continue
        key, _, value = line.partition(":")
        skip = False
        if key in ("Breaks", "Replaces", "Conflicts", "Provides", "Built-Using", "Static-Built-Using", "Source"):
            skip = True  # multi-line values follow; Docker's own relations are set below
            continue
        if key == "Package":
            value = " " + new_name
        elif key in ("Depends", "Pre-Depends", "Recommends", "Suggests"):
            value = " " + rewrite_relations(value.strip())
            if value.strip() == "":
                continue
        out.append("%s:%s" % (key, value))
    original = text.split("Package:", 1)[1].splitlines()[0].strip()
    out.append("Conflicts: %s" % CONFLICTS[new_name])
    out.append("Replaces: %s" % CONFLICTS[new_name])
    out.append("Provides: %s" % CONFLICTS[new_name].split(",")[0].strip())
    out.append("Description-Origin: repackaged from Debian's %s for the Inception test harness" % original)
    return "\n".join(out) + "\n"


def repackage(source_deb, new_name, out_dir, work, extra_files=()):
    tree = os.path.join(work, new_name)
    run(["dpkg-deb", "-R", source_deb, tree])
    control = os.path.join(tree, "DEBIAN", "control")
    with open(control) as handle:
        rewritten = rewrite_control(handle.read(), new_name)
    with open(control, "w") as handle:
        handle.write(rewritten)
    for source, target in extra_files:
        destination = os.path.join(tree, target.lstrip("/"))
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copy2(source, destination)
        md5sums = os.path.join(tree, "DEBIAN", "md5sums")
        with open(destination, "rb") as data, open(md5sums, "a") as sums:
            sums.write("%s  %s\n" % (hashlib.md5(data.read()).hexdigest(), target.lstrip("/")))
    fields = dict(line.split(": ", 1) for line in rewritten.splitlines() if ": " in line)
    target = os.path.join(out_dir, "%s_%s_%s.deb" % (new_name, fields["Version"].split(":")[-1], fields["Architecture"]))
    run(["dpkg-deb", "-Zgzip", "-z1", "--root-owner-group", "-b", tree, target])
    shutil.rmtree(tree)
    return target


def packages_index(repo, debs):
    entries = []
    for deb in sorted(debs):
        control = run(["dpkg-deb", "-f", deb]).rstrip("\n")
        with open(deb, "rb") as handle:
            data = handle.read()
        entries.append("%s\nFilename: %s\nSize: %d\nMD5sum: %s\nSHA256: %s\n" % (
            control, os.path.relpath(deb, repo), len(data), hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()))
    return "\n".join(entries)


def release_file(dist_dir):
    files = []
    for base, _, names in os.walk(dist_dir):
        for name in sorted(names):
            path = os.path.join(base, name)
            if name in ("Release", "InRelease", "Release.gpg"):
                continue
            with open(path, "rb") as handle:
                data = handle.read()
            files.append((os.path.relpath(path, dist_dir), len(data), hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()))
    lines = ["Origin: Inception test harness", "Label: Docker CE (imitation)", "Suite: %s" % CODENAME,
             "Codename: %s" % CODENAME, "Architectures: %s" % ARCH, "Components: stable",
             "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime()), "MD5Sum:"]
    lines += [" %s %d %s" % (md5, size, name) for name, size, md5, _ in files]
    lines.append("SHA256:")
    lines += [" %s %d %s" % (sha, size, name) for name, size, _, sha in files]
    return "\n".join(lines) + "\n"


def sign(repo, dist_dir, work):
    home = os.path.join(work, "gnupg")
    os.makedirs(home, mode=0o700)
    env = dict(os.environ, GNUPGHOME=home)
    gpg = ["gpg", "--batch", "--no-tty", "--quiet"]
    run(gpg + ["--passphrase", "", "--quick-gen-key", "Inception test harness <harness@inception.invalid>", "ed25519", "sign", "never"], env=env)
    release = os.path.join(dist_dir, "Release")
    run(gpg + ["--yes", "--armor", "--detach-sign", "-o", release + ".gpg", release], env=env)
    run(gpg + ["--yes", "--clearsign", "-o", os.path.join(dist_dir, "InRelease"), release], env=env)
    with open(os.path.join(repo, "gpg"), "w") as handle:
        handle.write(run(gpg + ["--armor", "--export"], env=env))
    shutil.rmtree(home, ignore_errors=True)  # the private key is not kept: nobody signs again


def build(cache):
    os.makedirs(cache, exist_ok=True)
    apt = Apt(os.path.join(cache, "apt"))
    try:
        apt.update()
    except subprocess.CalledProcessError as exc:  # offline: the newest complete repository will do
        cached = sorted((os.path.getmtime(os.path.join(cache, n)), os.path.join(cache, n)) for n in os.listdir(cache)
                        if n.startswith("docker-repo-") and os.path.isfile(os.path.join(cache, n, ".complete")))
        if not cached:
            raise
        log("apt update failed (%s); reusing %s" % ((exc.stderr or "").strip()[:200], cached[-1][1]))
        return cached[-1][1]
    sources = dict(PACKAGES, runc=RUNC)
    records = {name: apt.record(*source) for name, source in sources.items()}
    root = os.path.join(cache, "docker-repo-" + recipe_hash(records))
    if os.path.isfile(os.path.join(root, ".complete")):
        log("cached %s" % root)
        return root
    start = time.monotonic()
    shutil.rmtree(root, ignore_errors=True)
    repo = os.path.join(root, "linux", "debian")
    pool = os.path.join(repo, "pool", "stable")
    dist_dir = os.path.join(repo, "dists", CODENAME)
    binary = os.path.join(dist_dir, "stable", "binary-%s" % ARCH)
    for path in (pool, binary):
        os.makedirs(path)
    with tempfile.TemporaryDirectory(dir=cache) as work:
        downloads = os.path.join(work, "downloads")
        os.makedirs(downloads)
        runc_deb = apt.download(*RUNC, directory=downloads)
        runc_tree = os.path.join(work, "runc")
        run(["dpkg-deb", "-x", runc_deb, runc_tree])
        debs = []
        for new_name, (package, suite) in PACKAGES.items():
            extra = [(os.path.join(runc_tree, "usr", "sbin", "runc"), "/usr/sbin/runc")] if new_name == "containerd.io" else []
            debs.append(repackage(apt.download(package, suite, downloads), new_name, pool, work, extra))
        index = packages_index(repo, debs)
        with open(os.path.join(binary, "Packages"), "w") as handle:
            handle.write(index)
        with gzip.open(os.path.join(binary, "Packages.gz"), "wt") as handle:
            handle.write(index)
        with open(os.path.join(dist_dir, "Release"), "w") as handle:
            handle.write(release_file(dist_dir))
        sign(repo, dist_dir, work)
    open(os.path.join(root, ".complete"), "w").close()
    for name in os.listdir(cache):  # older repositories of other recipes
        if name.startswith("docker-repo-") and os.path.join(cache, name) != root:
            shutil.rmtree(os.path.join(cache, name), ignore_errors=True)
    log("built %s in %.0fs" % (root, time.monotonic() - start))
    return root


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", default="/var/cache/inception-harness", help="where repositories are kept")
    args = parser.parse_args(argv)
    try:
        print(build(args.cache))
    except (subprocess.CalledProcessError, RuntimeError, KeyError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        print("docker_repo: %s %s" % (exc, detail.strip()), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
