"""Identities unique across the objects of a kind (icepack_verify.identities)."""
from __future__ import annotations

from icepack_verify.identities import duplicate_identities


def _pod(name: str, ip: str, phase: str = "Running", host_network: bool = False) -> dict:
    return {"metadata": {"name": name}, "spec": {"hostNetwork": host_network}, "status": {"phase": phase, "podIP": ip}}


def _svc(name: str, ip: str) -> dict:
    return {"metadata": {"name": name}, "spec": {"clusterIP": ip, "clusterIPs": [ip]}}


def _node(name: str, provider: str, ip: str) -> dict:
    return {"metadata": {"name": name}, "spec": {"providerID": provider},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}]}}


def test_shared_identities_are_found_per_kind_and_field():
    lists = {"Node": [_node("a", "aws:///z/i-1", "10.0.0.1"), _node("a-copy", "aws:///z/i-1", "10.0.0.1")],
             "Pod": [_pod("p1", "10.1.0.1"), _pod("p2", "10.1.0.1")], "Service": [_svc("s1", "172.20.0.1"),
                                                                                  _svc("s2", "172.20.0.1")]}
    found = {(k, f): (v, names) for k, f, v, names, _ in duplicate_identities(lists)}
    assert found == {("Node", "spec.providerID"): ("aws:///z/i-1", ["a", "a-copy"]),
                     ("Node", "status.addresses[InternalIP]"): ("10.0.0.1", ["a", "a-copy"]),
                     ("Pod", "status.podIP"): ("10.1.0.1", ["p1", "p2"]),
                     ("Service", "spec.clusterIP"): ("172.20.0.1", ["s1", "s2"])}


def test_addresses_shared_by_design_pass():
    lists = {"Pod": [_pod("p1", "10.1.0.1"), _pod("done", "10.1.0.1", phase="Succeeded"),
                     _pod("h1", "10.0.0.1", host_network=True), _pod("h2", "10.0.0.1", host_network=True)],
             "Service": [_svc("headless1", "None"), _svc("headless2", "None")],
             "Node": [_node("a", "aws:///z/i-1", "10.0.0.1"), _node("b", "aws:///z/i-2", "10.0.0.2")]}
    assert list(duplicate_identities(lists)) == []
