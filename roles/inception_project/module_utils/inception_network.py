# -*- coding: utf-8 -*-
"""The stack's address plan, from one private IPv4 range (inception_project_network).

The range is cut into eight equal blocks, one per network in a fixed order (two spare),
so that no address moves when a bonus is turned on or off: a network a bonus does not
use keeps its block unused. nginx has a fixed address on the fastcgi network (the only
client php-fpm accepts, listen.allowed_clients); that network hands out addresses to
other containers from the lower half of its block only, so none can take nginx's.
"""

from __future__ import annotations

import ipaddress

# Block index of each network, never reordered (addresses must not move).
NETWORKS = ("inception", "fastcgi", "database", "cache", "web", "metrics")
BLOCKS = 8
SPLIT_BITS = 3  # 2 ** 3 == BLOCKS
# Each block needs room for its gateway and the containers of its network (metrics: six),
# with headroom: a /28 (14 host addresses) at the smallest, so the range is /25 or larger.
MAX_PREFIX = 25
PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def problem(cidr):
    """Why ``cidr`` cannot be the stack's range ('' when it can)."""
    if not isinstance(cidr, str):
        return "it must be a string such as 172.30.42.0/24"
    if "/" not in cidr:
        return "it must be an IPv4 network in CIDR notation, with its prefix length, such as 172.30.42.0/24"
    try:
        if cidr != cidr.strip():
            raise ValueError(cidr)
        net = ipaddress.IPv4Network(cidr, strict=False)
    except ValueError:
        return "it is not an IPv4 network in CIDR notation, such as 172.30.42.0/24"
    if net.network_address != ipaddress.IPv4Interface(cidr).ip:
        return "its host bits are set: give the network address, %s" % net
    if not any(net.subnet_of(p) for p in PRIVATE):
        return "it is not a private range (RFC 1918: inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)"
    if net.prefixlen > MAX_PREFIX:
        return ("it is too small for the stack's %d blocks of at least 16 addresses: give a /%d or larger, "
                "such as %s" % (BLOCKS, MAX_PREFIX, net.supernet(new_prefix=24) if net.prefixlen > 24 else net))
    return ""


def plan(cidr):
    """The address plan of a valid range: each network's subnet, the netmask form MariaDB's
    account hosts take, the fastcgi network's dynamic range and nginx's address on it."""
    net = ipaddress.IPv4Network(cidr)
    blocks = list(net.subnets(prefixlen_diff=SPLIT_BITS))
    networks = {}
    for index, name in enumerate(NETWORKS):
        block = blocks[index]
        networks[name] = {
            "subnet": str(block),
            "host_mask": "%s/%s" % (block.network_address, block.netmask),
        }
    fastcgi = blocks[NETWORKS.index("fastcgi")]
    networks["fastcgi"]["ip_range"] = str(next(fastcgi.subnets(prefixlen_diff=1)))
    return {
        "networks": networks,
        "nginx_fastcgi": str(fastcgi.broadcast_address - 1),
    }


def _nets(entries):
    for entry in entries:
        try:
            yield ipaddress.IPv4Network(entry, strict=False)
        except ValueError:
            continue


def conflicts(cidr, host):
    """What on the VM overlaps ``cidr``: a list of descriptions (empty when nothing does).

    ``host`` is {"routes": ip -j -4 route, "addrs": ip -j -4 addr, "docker": docker network
    inspect of every network}. The project's own Docker networks (compose project
    "inception") do not count, nor the routes and addresses inside them: the stack
    recreates them with the planned subnets."""
    net = ipaddress.IPv4Network(cidr)
    host = host or {}
    own, found = [], []
    for network in host.get("docker") or []:
        labels = network.get("Labels") or {}
        subnets = [c.get("Subnet", "") for c in ((network.get("IPAM") or {}).get("Config") or [])]
        subnets = [s for s in subnets if ":" not in s]
        if labels.get("com.docker.compose.project") == "inception":
            own.extend(_nets(subnets))
            continue
        for subnet in _nets(subnets):
            if subnet.overlaps(net):
                found.append("Docker network %s (%s)" % (network.get("Name", "?"), subnet))

    def mine(other):
        return any(other.subnet_of(o) for o in own)

    for route in host.get("routes") or []:
        dst = route.get("dst", "")
        if dst in ("default", "") or route.get("type") in ("unreachable", "blackhole", "prohibit"):
            continue
        for other in _nets([dst]):
            if other.prefixlen > 0 and other.overlaps(net) and not mine(other):
                found.append("route %s%s" % (other, " dev " + route["dev"] if route.get("dev") else ""))
    for link in host.get("addrs") or []:
        for info in link.get("addr_info") or []:
            if info.get("family", "inet") != "inet" or "local" not in info:
                continue
            for other in _nets(["%s/%s" % (info["local"], info.get("prefixlen", 32))]):
                if other.overlaps(net) and not mine(other):
                    found.append("address %s/%s on %s" % (info["local"], info.get("prefixlen", 32), link.get("ifname", "?")))
    return sorted(set(found))
