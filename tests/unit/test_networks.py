"""The stack's address plan (inception_network): fixed subnets whatever the bonuses, nginx's
fixed FastCGI address as php-fpm's only client, MariaDB's accounts scoped to the database
network, and the preflight's refusals (bad range, overlap with the VM)."""

import importlib.util
import os

import pytest
import yaml
from conftest import render_project

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
_spec = importlib.util.spec_from_file_location(
    "inception_network", os.path.join(ROOT, "roles", "inception_project", "module_utils", "inception_network.py"))
network = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(network)

DEFAULT = {"inception": "172.30.42.0/27", "fastcgi": "172.30.42.32/27", "database": "172.30.42.64/27",
           "cache": "172.30.42.96/27", "web": "172.30.42.128/27", "metrics": "172.30.42.160/27"}


def compose(project):
    with open(os.path.join(project, "srcs", "docker-compose.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def read(project, path):
    with open(os.path.join(project, path), encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def no_bonus_project(tmp_path_factory):
    return render_project(tmp_path_factory, '{"inception_bonus": []}')


def test_plan_of_the_default_range():
    plan = network.plan("172.30.42.0/24")
    assert {n: v["subnet"] for n, v in plan["networks"].items()} == DEFAULT
    assert plan["nginx_fastcgi"] == "172.30.42.62"
    assert plan["networks"]["fastcgi"]["ip_range"] == "172.30.42.32/28"
    assert plan["networks"]["database"]["host_mask"] == "172.30.42.64/255.255.255.224"


def test_networks_have_their_fixed_subnets_with_every_bonus(rendered_project):
    networks = compose(rendered_project)["networks"]
    assert {n: v["ipam"]["config"][0]["subnet"] for n, v in networks.items()} == DEFAULT
    assert networks["fastcgi"]["ipam"]["config"][0]["ip_range"] == "172.30.42.32/28"
    for name in DEFAULT:
        if name != "inception":
            assert networks[name]["driver_opts"]["com.docker.network.bridge.inhibit_ipv4"] == "true"


def test_subnets_do_not_move_without_the_bonus(no_bonus_project):
    networks = compose(no_bonus_project)["networks"]
    assert {n: v["ipam"]["config"][0]["subnet"] for n, v in networks.items()} == {
        n: DEFAULT[n] for n in ("inception", "fastcgi", "database")}
    assert compose(no_bonus_project)["services"]["nginx"]["networks"]["fastcgi"]["ipv4_address"] == "172.30.42.62"


def test_nginx_has_the_fixed_fastcgi_address_outside_the_handed_out_range(rendered_project):
    nginx = compose(rendered_project)["services"]["nginx"]["networks"]
    assert nginx["fastcgi"] == {"ipv4_address": "172.30.42.62"}
    assert set(nginx) == {"inception", "fastcgi", "web", "metrics"}
    import ipaddress
    assert ipaddress.ip_address("172.30.42.62") not in ipaddress.ip_network("172.30.42.32/28")


def test_php_fpm_accepts_nginx_and_its_healthcheck_only(rendered_project):
    conf = read(rendered_project, "srcs/requirements/wordpress/conf/www.conf")
    assert "\nlisten.allowed_clients = 172.30.42.62,127.0.0.1\n" in conf


def test_mariadb_accounts_are_scoped_to_the_database_network(rendered_project):
    script = read(rendered_project, "srcs/requirements/mariadb/tools/entrypoint.sh")
    assert "DB_NETWORK='172.30.42.64/255.255.255.224'" in script
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    assert "@'%'" not in code
    assert "'$user'@'$DB_NETWORK'" in script and "'exporter'@'$DB_NETWORK'" in script
    assert "RENAME USER" in script and "--init-file=/run/inception/init.sql" in script


def test_another_range_moves_every_address(tmp_path_factory):
    project = render_project(tmp_path_factory, '{"inception_network": "10.77.0.0/16"}')
    data = compose(project)
    assert data["networks"]["database"]["ipam"]["config"][0]["subnet"] == "10.77.64.0/19"
    assert data["services"]["nginx"]["networks"]["fastcgi"]["ipv4_address"] == "10.77.63.254"
    assert "listen.allowed_clients = 10.77.63.254,127.0.0.1" in read(project, "srcs/requirements/wordpress/conf/www.conf")
    assert "DB_NETWORK='10.77.64.0/255.255.224.0'" in read(project, "srcs/requirements/mariadb/tools/entrypoint.sh")


@pytest.mark.parametrize("cidr,reason", [
    ("172.30.42.0", "CIDR notation"),
    ("not a network", "CIDR notation"),
    ("172.30.42.1/24", "host bits are set: give the network address, 172.30.42.0/24"),
    ("8.8.8.0/24", "not a private range"),
    ("172.30.42.0/26", "too small"),
])
def test_bad_range_is_refused_in_preflight_naming_the_variable(run_validate, cidr, reason):
    rc, out = run_validate({"inception_network": cidr})
    assert rc != 0
    assert "inception_network (inception_project_network) is '%s'" % cidr in out
    assert reason in out


OWN = {"Name": "inception-database", "Labels": {"com.docker.compose.project": "inception"},
       "IPAM": {"Config": [{"Subnet": "172.30.42.64/27"}]}}


@pytest.mark.parametrize("host,found", [
    ({"routes": [{"dst": "172.30.0.0/16", "dev": "eth1"}]}, "route 172.30.0.0/16 dev eth1"),
    ({"addrs": [{"ifname": "wlan0", "addr_info": [{"family": "inet", "local": "172.30.42.7", "prefixlen": 32}]}]},
     "address 172.30.42.7/32 on wlan0"),
    ({"docker": [{"Name": "other_default", "Labels": {"com.docker.compose.project": "other"},
                  "IPAM": {"Config": [{"Subnet": "172.30.42.128/25"}]}}]}, "Docker network other_default (172.30.42.128/25)"),
], ids=["route", "address", "docker-network"])
def test_range_overlapping_the_vm_is_refused_in_preflight(run_validate, host, found):
    rc, out = run_validate({"__inception_project_vm_networks": dict({"routes": [], "addrs": [], "docker": []}, **host)})
    assert rc != 0
    assert "inception_network (inception_project_network) is '172.30.42.0/24': it overlaps %s" % found in out


def test_the_projects_own_networks_and_the_default_route_do_not_conflict(run_validate):
    vm = {"routes": [{"dst": "default", "gateway": "192.0.2.1"}, {"dst": "172.30.42.64/27", "dev": "br-1"},
                     {"dst": "172.17.0.0/16", "dev": "docker0"}],
          "addrs": [{"ifname": "br-1", "addr_info": [{"family": "inet", "local": "172.30.42.65", "prefixlen": 27}]}],
          "docker": [OWN, {"Name": "bridge", "IPAM": {"Config": [{"Subnet": "172.17.0.0/16"}]}}]}
    assert network.conflicts("172.30.42.0/24", vm) == []
    rc, out = run_validate({"__inception_project_vm_networks": vm})
    assert rc == 0, out[-2000:]


def test_overlap_is_detected_both_ways():
    vm = {"routes": [{"dst": "172.30.42.16/28", "dev": "eth1"}, {"dst": "10.0.0.0/8", "dev": "tun0"}]}
    assert network.conflicts("172.30.42.0/24", vm) == ["route 172.30.42.16/28 dev eth1"]
    assert network.conflicts("10.1.0.0/24", vm) == ["route 10.0.0.0/8 dev tun0"]
