"""Pure parts of the debootstrap -> docker import helper."""

import os
import sys
import tarfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "roles", "base_image", "module_utils"))

import rootfs_image  # noqa: E402


def test_recipe_hash_is_stable_and_order_insensitive():
    a = rootfs_image.make_recipe("bookworm", include=["python3", "sudo"])
    b = rootfs_image.make_recipe("bookworm", include=["sudo", "python3", "sudo"])
    assert rootfs_image.recipe_hash(a) == rootfs_image.recipe_hash(b)
    assert len(rootfs_image.recipe_hash(a)) == 16


def test_recipe_hash_changes_with_content():
    base = rootfs_image.recipe_hash(rootfs_image.make_recipe("bookworm"))
    assert rootfs_image.recipe_hash(rootfs_image.make_recipe("trixie")) != base
    assert rootfs_image.recipe_hash(rootfs_image.make_recipe("bookworm", include=["sudo"])) != base
    assert rootfs_image.recipe_hash(rootfs_image.make_recipe("bookworm", changes=["ENV a=b"])) != base


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"suite": "jammy"}, "suite"),
        ({"suite": "bookworm", "variant": "tiny"}, "variant"),
        ({"suite": "bookworm", "mirror": "ftp://x"}, "mirror"),
        ({"suite": "bookworm", "include": ["ok", "Bad Name"]}, "include"),
        ({"suite": "bookworm", "changes": ["RUN rm -rf /"]}, "changes"),
    ],
)
def test_bad_recipe_names_the_field(kwargs, field):
    with pytest.raises(rootfs_image.RecipeError, match=field):
        rootfs_image.make_recipe(**kwargs)


@pytest.mark.parametrize("ref", ["debian", "debian:latest", "debian:", "Debian:12"])
def test_reference_needs_explicit_non_latest_tag(ref):
    with pytest.raises(rootfs_image.RecipeError):
        rootfs_image.split_reference(ref)


def test_reference_split():
    assert rootfs_image.split_reference("inception-vm:trixie") == ("inception-vm", "trixie")
    assert rootfs_image.split_reference("local/debian:12.1") == ("local/debian", "12.1")


def test_debootstrap_command():
    recipe = rootfs_image.make_recipe("bookworm", include=["sudo", "python3"])
    assert rootfs_image.debootstrap_command(recipe, "/t") == [
        "debootstrap", "--variant=minbase", "--include=python3,sudo", "bookworm", "/t",
        "http://deb.debian.org/debian",
    ]


def test_labels_carry_hash_source_and_date():
    recipe = rootfs_image.make_recipe("bookworm")
    labels = rootfs_image.image_labels(recipe)
    assert labels["org.inception.rootfs.hash"] == rootfs_image.recipe_hash(recipe)
    assert labels["org.inception.rootfs.source"].startswith("debootstrap --variant=minbase bookworm")
    assert labels["org.inception.rootfs.build-date"].endswith("Z")
    changes = rootfs_image.import_changes(recipe, labels)
    assert any(c.startswith("LABEL org.inception.rootfs.hash=") for c in changes)


def test_is_cached_only_for_the_same_recipe():
    recipe = rootfs_image.make_recipe("bookworm")
    attrs = {"Config": {"Labels": rootfs_image.image_labels(recipe)}}
    assert rootfs_image.is_cached(attrs, recipe)
    assert not rootfs_image.is_cached(attrs, rootfs_image.make_recipe("bookworm", include=["sudo"]))
    assert not rootfs_image.is_cached({"Config": {"Labels": None}}, recipe)
    assert not rootfs_image.is_cached(None, recipe)


class FakeClient:
    def __init__(self, attrs):
        self.attrs = attrs
        self.imported = []

    def inspect_image(self, ref):
        if self.attrs is None:
            raise LookupError(ref)
        return self.attrs

    def import_image(self, src, **kwargs):
        with tarfile.open(src) as tar:  # a path: the SDK uploads it with a Content-Length
            kwargs["members"] = sorted(tar.getnames())
        self.imported.append(kwargs)
        self.attrs = {"Id": "sha256:new"}


def test_ensure_image_reuses_a_cached_image_without_building(monkeypatch):
    recipe = rootfs_image.make_recipe("bookworm")
    client = FakeClient({"Id": "sha256:abc", "Config": {"Labels": rootfs_image.image_labels(recipe)}})
    monkeypatch.setattr(rootfs_image, "build_rootfs", lambda *a, **k: pytest.fail("must not build"))
    assert rootfs_image.ensure_image(client, "debian:bookworm", recipe) == (False, "sha256:abc")
    assert client.imported == []


def test_ensure_image_rebuilds_when_recipe_differs(monkeypatch, tmp_path):
    recipe = rootfs_image.make_recipe("bookworm")
    stale = rootfs_image.make_recipe("bookworm", include=["sudo"])
    client = FakeClient({"Id": "sha256:old", "Config": {"Labels": rootfs_image.image_labels(stale)}})
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "os-release").write_text("ID=debian\n")
    monkeypatch.setattr(rootfs_image, "build_rootfs", lambda *a, **k: str(tmp_path))
    assert rootfs_image.ensure_image(client, "debian:bookworm", recipe) == (True, "sha256:new")
    (call,) = client.imported
    assert call["repository"] == "debian" and call["tag"] == "bookworm"
    assert "./etc/os-release" in call["members"]
    assert "LABEL org.inception.rootfs.hash=\"%s\"" % rootfs_image.recipe_hash(recipe) in call["changes"]


def test_slim_is_part_of_the_hash_and_leaves_other_recipes_alone():
    plain = rootfs_image.make_recipe("bookworm")
    slim = rootfs_image.make_recipe("bookworm", slim=True)
    assert "slim" not in plain  # the VM images' recipes (and their cached images) keep their hash
    assert rootfs_image.recipe_hash(slim) != rootfs_image.recipe_hash(plain)


def test_slim_rootfs_drops_docs_man_locales_and_apt_caches_but_keeps_copyrights(tmp_path):
    files = {
        "usr/share/doc/bash/copyright": True, "usr/share/doc/bash/changelog.Debian.gz": False,
        "usr/share/man/man1/bash.1.gz": False, "usr/share/info/bash.info.gz": False,
        "usr/share/locale/fr/LC_MESSAGES/bash.mo": False, "usr/share/locale/locale.alias": True,
        "usr/share/lintian/overrides/bash": False, "var/cache/apt/pkgcache.bin": False,
        "var/log/dpkg.log": False, "usr/bin/bash": True, "usr/share/bash-completion/bash": True,
    }
    for relpath in files:
        (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relpath).write_text("x")
    os.symlink("bash", str(tmp_path / "usr/share/doc/bash-alias"))
    recipe = rootfs_image.make_recipe("bookworm", slim=True)
    rootfs_image._slim_rootfs(str(tmp_path), recipe)
    for relpath, kept in files.items():
        assert (tmp_path / relpath).exists() == kept, relpath
    assert not os.path.lexists(str(tmp_path / "usr/share/doc/bash-alias"))
    excludes = (tmp_path / "etc/dpkg/dpkg.cfg.d/inception-slim").read_text()
    assert "path-exclude=/usr/share/doc/*" in excludes and "path-include=/usr/share/doc/*/copyright" in excludes
    assert 'Dir::Cache::pkgcache "";' in (tmp_path / "etc/apt/apt.conf.d/inception-slim").read_text()


def test_updates_give_the_image_the_security_and_updates_suites():
    recipe = rootfs_image.make_recipe("bookworm", slim=True, updates=True)
    assert recipe["updates"]["sources"] == [
        "deb http://deb.debian.org/debian bookworm main",
        "deb http://deb.debian.org/debian bookworm-updates main",
        "deb http://deb.debian.org/debian-security bookworm-security main",
    ]
    # Part of the hash (an image built without them is rebuilt), absent from other recipes.
    assert rootfs_image.recipe_hash(recipe) != rootfs_image.recipe_hash(rootfs_image.make_recipe("bookworm", slim=True))
    assert "updates" not in rootfs_image.make_recipe("trixie")
    mirrored = rootfs_image.make_recipe("bookworm", mirror="http://m.example/debian/", updates=True,
                                        security_mirror="http://s.example/debian-security")
    assert mirrored["updates"]["sources"][1:] == ["deb http://m.example/debian bookworm-updates main",
                                                  "deb http://s.example/debian-security bookworm-security main"]
    assert rootfs_image.apt_sources("sid") == ["deb http://deb.debian.org/debian sid main"]
    with pytest.raises(rootfs_image.RecipeError, match="security_mirror"):
        rootfs_image.make_recipe("bookworm", updates=True, security_mirror="deb.debian.org")


def test_build_writes_the_sources_and_upgrades_the_tree_chrooted(monkeypatch, tmp_path):
    """debootstrap is faked; the chrooted apt-get commands are recorded, not run."""
    recipe = rootfs_image.make_recipe("bookworm", updates=True)
    calls = []

    def fake_run(argv, **kwargs):
        calls.append((argv, kwargs.get("env")))
        if argv[0] == "debootstrap":
            target = argv[-2]
            for sub in ("etc/apt", "usr/sbin", "proc", "var/lib/dpkg"):
                os.makedirs(os.path.join(target, sub), exist_ok=True)
            with open(os.path.join(target, "etc/apt/sources.list"), "w") as handle:
                handle.write("deb http://deb.debian.org/debian bookworm main\n")
        if argv[0] == "chroot":  # the policy that keeps services from starting is in place
            assert os.path.isfile(os.path.join(argv[1], rootfs_image.POLICY_RC_D))

        class Done:
            returncode = 0
            stdout = b""
        return Done()

    monkeypatch.setattr(rootfs_image.shutil, "which", lambda name: "/usr/sbin/" + name)
    monkeypatch.setattr(rootfs_image.subprocess, "run", fake_run)
    monkeypatch.setenv("http_proxy", "http://192.0.2.2:3142")
    target = rootfs_image.build_rootfs(recipe, workdir=str(tmp_path))
    sources = open(os.path.join(target, "etc/apt/sources.list")).read().splitlines()
    assert "deb http://deb.debian.org/debian-security bookworm-security main" in sources
    assert "deb http://deb.debian.org/debian bookworm-updates main" in sources
    chrooted = [(argv[2:], env) for argv, env in calls if argv[0] == "chroot"]
    assert [(argv[0], argv[-1]) for argv, _ in chrooted] == [
        ("apt-get", "update"), ("apt-get", "dist-upgrade"), ("apt-get", "clean")]
    assert "-y" in chrooted[1][0] and chrooted[1][1]["DEBIAN_FRONTEND"] == "noninteractive"
    assert all(env["http_proxy"] == "http://192.0.2.2:3142" for _, env in chrooted)  # the cache, as environment
    assert "3142" not in "".join(open(os.path.join(target, "etc/apt/sources.list")).read())
    assert not os.path.exists(os.path.join(target, rootfs_image.POLICY_RC_D))


def test_installed_packages_read_the_dpkg_status(tmp_path):
    (tmp_path / "var/lib/dpkg").mkdir(parents=True)
    (tmp_path / "var/lib/dpkg/status").write_text(
        "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u9\nDescription: x\n continued: no\n\n"
        "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n"
        "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b7\n")
    packages = rootfs_image.installed_packages(str(tmp_path))
    assert packages == ["bash 5.2.15-2+b7", "libc6 2.36-9+deb12u9"]
    recipe = rootfs_image.make_recipe("bookworm", updates=True)
    attrs = {"Config": {"Labels": rootfs_image.image_labels(recipe, packages=packages)}}
    assert rootfs_image.same_packages(attrs, recipe, list(reversed(packages)))
    assert not rootfs_image.same_packages(attrs, recipe, ["bash 5.2.15-2+b7", "libc6 2.36-9+deb12u10"])
    assert not rootfs_image.same_packages(attrs, rootfs_image.make_recipe("bookworm"), packages)
