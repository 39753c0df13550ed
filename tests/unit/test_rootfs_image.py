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
