"""The filter that decides which images inception_stack rebuilds (no Docker needed)."""


import pytest
from ansible.errors import AnsibleFilterError

from module_runner import load_filters

stale = load_filters("inception_stack", "inception_stack_stale_images")["inception_stack_stale_images"]

SERVICES = ["mariadb", "wordpress", "nginx"]
HASHES = {"mariadb": "cb97ab9b85e6f6c3", "wordpress": "34957fc99c35455f", "nginx": "0a1b2c3d4e5f6071"}
CONFIG = {"name": "inception", "services": {
    name: {"image": "%s:1.0" % name, "build": {"context": "/p/srcs/requirements/" + name,
                                               "labels": {"org.inception.context": value}}}
    for name, value in HASHES.items()}}


def image(name, label, tags=None):
    return {"Id": "sha256:" + name, "RepoTags": tags or ["%s:1.0" % name],
            "Config": {"Labels": None if label is None else {"org.inception.context": label}}}


def built(**overrides):
    labels = dict(HASHES, **overrides)
    return [image(name, value) for name, value in labels.items() if value is not False]


def test_nothing_is_stale_when_every_image_carries_its_hash():
    assert stale(SERVICES, CONFIG, built(), "1.0") == []


def test_every_service_is_stale_on_a_fresh_host():
    assert stale(SERVICES, CONFIG, [], "1.0") == SERVICES


def test_only_the_changed_context_is_stale():
    assert stale(SERVICES, CONFIG, built(nginx="ffffffffffffffff"), "1.0") == ["nginx"]


def test_a_missing_image_is_stale_and_order_follows_the_services():
    assert stale(SERVICES, CONFIG, built(mariadb=False, nginx=None), "1.0") == ["mariadb", "nginx"]


def test_an_image_with_another_tag_does_not_count():
    images = built()
    images[1]["RepoTags"] = ["wordpress:0.9"]
    assert stale(SERVICES, CONFIG, images, "1.0") == ["wordpress"]


def test_labels_as_a_list_and_a_build_without_label():
    config = {"services": {"a": {"build": {"labels": ["org.inception.context=abc", "x=y"]}}, "b": {"build": {"context": "."}}}}
    assert stale(["a", "b"], config, [image("a", "abc", ["a:2"]), image("b", None, ["b:2"])], "2") == []
    assert stale(["a", "b"], config, [image("a", "abd", ["a:2"]), image("b", "x", ["b:2"])], "2") == ["a", "b"]


def test_a_custom_label():
    config = {"services": {"a": {"build": {"labels": {"other": "1"}}}}}
    assert stale(["a"], config, [{"RepoTags": ["a:t"], "Config": {"Labels": {"other": "1"}}}], "t", label="other") == []


@pytest.mark.parametrize("args, message", [
    (("mariadb", CONFIG, [], "1.0"), "list of service names"),
    (([""], CONFIG, [], "1.0"), "list of service names"),
    ((SERVICES, {"name": "x"}, [], "1.0"), "docker compose config"),
    ((SERVICES, '{"services": {}}', [], "1.0"), "docker compose config"),
    ((SERVICES, CONFIG, {"images": []}, "1.0"), "images must be a list"),
    ((SERVICES, CONFIG, ["mariadb:1.0"], "1.0"), "image dicts"),
    ((SERVICES, CONFIG, [], ""), "tag must be a non-empty string"),
    ((SERVICES, CONFIG, [], 1.0), "tag must be a non-empty string"),
    ((["redis"], CONFIG, [], "1.0"), "service 'redis' is not in the compose file"),
])
def test_bad_input_is_refused_with_a_clear_sentence(args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        stale(*args)


BASE = {"Id": "sha256:base2", "RepoTags": ["debian:bookworm"], "RootFS": {"Layers": ["sha256:b2"]}}


def layered(name, label, layers):
    return dict(image(name, label), RootFS={"Type": "layers", "Layers": layers})


def test_an_image_built_on_an_older_base_is_stale():
    # wordpress was built on the base's old layer, the others on the current one.
    images = [layered(name, value, ["sha256:b1" if name == "wordpress" else "sha256:b2", "sha256:" + name])
              for name, value in HASHES.items()]
    assert stale(SERVICES, CONFIG, images, "1.0", base=BASE) == ["wordpress"]
    # Without the base, only the context labels count: nothing is stale.
    assert stale(SERVICES, CONFIG, images, "1.0") == []
    assert stale(SERVICES, CONFIG, images, "1.0", base={}) == []


def test_images_on_the_current_base_are_not_stale():
    base = dict(BASE, RootFS={"Layers": ["sha256:b2", "sha256:b3"]})
    images = [layered(name, value, ["sha256:b2", "sha256:b3", "sha256:" + name]) for name, value in HASHES.items()]
    assert stale(SERVICES, CONFIG, images, "1.0", base=base) == []
    # A base with one more layer (upgraded on top of the old one) makes them all stale.
    newer = dict(BASE, RootFS={"Layers": ["sha256:b2", "sha256:b3", "sha256:b4"]})
    assert stale(SERVICES, CONFIG, images, "1.0", base=newer) == SERVICES


@pytest.mark.parametrize("base, message", [
    ("debian:bookworm", "base must be the base image's dict"),
    ({"Id": "sha256:x"}, "base has no RootFS.Layers"),
])
def test_a_bad_base_is_refused(base, message):
    with pytest.raises(AnsibleFilterError, match=message):
        stale(SERVICES, CONFIG, built(), "1.0", base=base)


stale_networks = load_filters("inception_stack", "inception_stack_stale_images")["inception_stack_stale_networks"]
DECLARED = {"networks": {
    "inception": {"name": "inception", "ipam": {"config": [{"subnet": "172.30.42.0/27"}]}},
    "fastcgi": {"name": "inception-fastcgi", "ipam": {"config": [{"subnet": "172.30.42.32/27", "ip_range": "172.30.42.32/28"}]}},
    "plain": {"name": "other"}}}


def network(name, *subnets):
    return {"Name": name, "IPAM": {"Config": [{"Subnet": s} for s in subnets]}}


def test_networks_with_another_subnet_than_declared_are_stale():
    # Made by an earlier version (Docker's own pool) or with another range: recreated.
    assert stale_networks([network("inception", "172.19.0.0/16"), network("inception-fastcgi")], DECLARED) == [
        "inception (172.19.0.0/16, declared 172.30.42.0/27)", "inception-fastcgi (no subnet, declared 172.30.42.32/27)"]
    # As declared (an IPv6 subnet beside it does not count), or declared without a subnet,
    # or not the compose file's: left alone.
    assert stale_networks([network("inception", "172.30.42.0/27", "fd00::/64"), network("inception-fastcgi", "172.30.42.32/27"),
                           network("other", "10.9.0.0/16"), network("stranger", "10.8.0.0/16")], DECLARED) == []


@pytest.mark.parametrize("args, message", [
    (("[]", DECLARED), "the input must be the parsed output of docker network inspect"),
    (([], "{}"), "config must be the parsed output of docker compose config")])
def test_stale_networks_refuses_unparsed_arguments(args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        stale_networks(*args)
