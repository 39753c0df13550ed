"""The repository holds source, not build products: no archive, package or binary blob."""

import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
ARCHIVE_SUFFIXES = (".deb", ".rpm", ".tar", ".tgz", ".gz", ".xz", ".bz2", ".zst", ".zip", ".7z", ".iso", ".img", ".qcow2", ".whl", ".jar")
# Magic numbers of archives and executables, whatever the file is named.
ARCHIVE_MAGIC = (b"!<arch>", b"\x1f\x8b", b"PK\x03\x04", b"\xfd7zXZ", b"BZh", b"(\xb5/\xfd", b"\x7fELF", b"7z\xbc\xaf")
MAX_BYTES = 512 * 1024


def tracked_files():
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [name for name in out.decode().split("\0") if name]


def test_no_archive_is_tracked():
    found = [name for name in tracked_files() if name.lower().endswith(ARCHIVE_SUFFIXES)]
    assert not found, "archives do not belong in git: %s" % ", ".join(found)


def test_no_binary_blob_is_tracked():
    found = []
    for name in tracked_files():
        path = os.path.join(ROOT, name)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as handle:
            head = handle.read(8)
        if head.startswith(ARCHIVE_MAGIC):
            found.append(name)
    assert not found, "binary archives or executables are tracked: %s" % ", ".join(found)


def test_no_large_file_is_tracked():
    found = ["%s (%d KiB)" % (name, os.path.getsize(os.path.join(ROOT, name)) // 1024)
             for name in tracked_files()
             if os.path.isfile(os.path.join(ROOT, name)) and os.path.getsize(os.path.join(ROOT, name)) > MAX_BYTES]
    assert not found, "files over %d KiB: %s" % (MAX_BYTES // 1024, ", ".join(found))
