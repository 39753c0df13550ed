"""The base-image module's decisions, with a fake Docker API (no engine needed)."""

import io
import tarfile

import pytest

from module_runner import load_module, run_module

image_module = load_module("base_image", "debian_rootfs_image")


class FakeAPI:
    def __init__(self, images=None, pull_error=None):
        self.images = dict(images or {})
        self.calls = []
        self.pull_error = pull_error

    def inspect_image(self, ref):
        if ref not in self.images:
            raise image_module.docker.errors.ImageNotFound(ref)
        return self.images[ref]

    def pull(self, repo, tag):
        self.calls.append(("pull", repo, tag))
        if self.pull_error:
            raise image_module.docker.errors.APIError(self.pull_error)
        self.images["%s:%s" % (repo, tag)] = {"Id": "sha256:pulled"}

    def import_image(self, src, repository, tag, changes):
        with tarfile.open(src) as tar:
            members = tar.getnames()
        self.calls.append(("import", repository, tag, members))
        self.images["%s:%s" % (repository, tag)] = {"Id": "sha256:imported", "Config": {"Labels": {}}}


@pytest.fixture
def api(monkeypatch):
    holder = {}

    def factory(**kwargs):
        return holder["api"]

    monkeypatch.setattr(image_module.docker, "APIClient", factory)
    return holder


def run(api_holder, fake, **args):
    api_holder["api"] = fake
    return run_module(image_module, args, check_mode=args.pop("_check", False))


def test_auto_keeps_an_existing_image(api, tmp_path):
    fake = FakeAPI({"debian:bookworm": {"Id": "sha256:have"}})
    result = run(api, fake, cache_dir=str(tmp_path))
    assert result["changed"] is False and result["action"] == "kept" and result["image_id"] == "sha256:have"
    assert fake.calls == []


def test_auto_imports_the_cached_tarball_before_pulling(api, tmp_path):
    fake = FakeAPI()
    recipe = image_module.rootfs_image.make_recipe("bookworm", changes=['CMD ["bash"]'], slim=True, updates=True)
    tar_path = image_module.tarball_path(str(tmp_path), recipe)
    with tarfile.open(tar_path, "w") as tar:
        info = tarfile.TarInfo("./etc/debian_version")
        data = b"12.0\n"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    result = run(api, fake, cache_dir=str(tmp_path))
    assert result["changed"] and result["action"] == "imported"
    assert fake.calls == [("import", "debian", "bookworm", ["./etc/debian_version"])]


def test_auto_uses_a_pull_when_the_registry_answers(api, tmp_path):
    fake = FakeAPI()
    result = run(api, fake, cache_dir=str(tmp_path))
    assert result["action"] == "pulled" and result["image_id"] == "sha256:pulled"


def test_auto_falls_back_to_debootstrap_when_pull_fails(api, tmp_path, monkeypatch):
    fake = FakeAPI(pull_error="no such host")
    built = {}

    def fake_build(api_, ref, recipe, tar_path, work_dir):
        built.update(ref=ref, suite=recipe["suite"], work_dir=work_dir)
        return "sha256:built"

    monkeypatch.setattr(image_module, "build", fake_build)
    result = run(api, fake, cache_dir=str(tmp_path))
    assert result["action"] == "built" and result["image_id"] == "sha256:built"
    assert built == {"ref": "debian:bookworm", "suite": "bookworm", "work_dir": "/var/tmp"}
    assert "no such host" in result["pull_error"]


def test_check_mode_reports_without_touching_the_engine(api, tmp_path):
    fake = FakeAPI()
    result = run(api, fake, cache_dir=str(tmp_path), _check=True)
    assert result["changed"] and fake.calls == []


def test_keep_fails_when_absent_naming_the_variable(api, tmp_path):
    result = run(api, FakeAPI(), source="keep", cache_dir=str(tmp_path))
    assert result["failed"] and "base_image_source" in result["msg"]


@pytest.mark.parametrize("name", ["debian", "debian:latest"])
def test_latest_is_refused(api, tmp_path, name):
    result = run(api, FakeAPI(), name=name, cache_dir=str(tmp_path))
    assert result["failed"] and "latest" in result["msg"]


def test_the_module_builds_with_the_security_and_updates_suites(api, tmp_path, monkeypatch):
    seen = {}

    def fake_build(api_, ref, recipe, tar_path, work_dir, keep_if_same=None):
        seen["sources"] = recipe["updates"]["sources"]
        return "sha256:built"

    monkeypatch.setattr(image_module, "build", fake_build)
    result = run(api, FakeAPI(pull_error="no such host"), cache_dir=str(tmp_path))
    assert result["action"] == "built"
    assert "deb http://deb.debian.org/debian-security bookworm-security main" in seen["sources"]
    assert "deb http://deb.debian.org/debian bookworm-updates main" in seen["sources"]


def _refresh(api, fake, tmp_path, monkeypatch, packages):
    """A refresh whose debootstrapped tree holds ``packages`` (debootstrap faked)."""
    tree = tmp_path / "tree"

    def fake_rootfs(recipe, workdir=None):
        (tree / "var/lib/dpkg").mkdir(parents=True, exist_ok=True)
        (tree / "var/lib/dpkg/status").write_text("".join(
            "Package: %s\nStatus: install ok installed\nVersion: %s\n\n" % tuple(p.split()) for p in packages))
        return str(tree)

    monkeypatch.setattr(image_module.rootfs_image, "build_rootfs", fake_rootfs)
    return run(api, fake, cache_dir=str(tmp_path / "cache"), refresh=True)


def _present(packages):
    recipe = image_module.rootfs_image.make_recipe("bookworm", changes=['CMD ["bash"]'], slim=True, updates=True)
    labels = image_module.rootfs_image.image_labels(recipe, packages=packages)
    return FakeAPI({"debian:bookworm": {"Id": "sha256:have", "Config": {"Labels": labels}}})


def test_refresh_keeps_the_image_when_no_package_changed(api, tmp_path, monkeypatch):
    fake = _present(["libc6 2.36-9+deb12u9"])
    result = _refresh(api, fake, tmp_path, monkeypatch, ["libc6 2.36-9+deb12u9"])
    assert result["changed"] is False and result["action"] == "current" and result["image_id"] == "sha256:have"
    assert fake.calls == []


def test_refresh_imports_a_new_image_when_a_package_changed(api, tmp_path, monkeypatch):
    fake = _present(["libc6 2.36-9+deb12u9"])
    result = _refresh(api, fake, tmp_path, monkeypatch, ["libc6 2.36-9+deb12u10"])
    assert result["changed"] and result["action"] == "built" and result["image_id"] == "sha256:imported"
    assert result["previous_image_id"] == "sha256:have"
    assert [c[0] for c in fake.calls] == ["import"]


def test_refresh_rebuilds_an_image_without_the_packages_label(api, tmp_path, monkeypatch):
    fake = FakeAPI({"debian:bookworm": {"Id": "sha256:have"}})  # e.g. imported by the project's Makefile
    result = _refresh(api, fake, tmp_path, monkeypatch, ["libc6 2.36-9+deb12u9"])
    assert result["changed"] and result["action"] == "built"
