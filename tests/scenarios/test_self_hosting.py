"""The self-hosting scenario: a website unikernel found through a DNS unikernel, by name, over HTTPS."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from mirage_nb.errors import SimulationError
from mirage_nb.lab import (
    DnsClientPeer,
    Duration,
    HttpPeer,
    Mirage_sleep,
    Network,
    Peer,
    example,
    example_dir,
    make_test_pki,
    run_with_peers,
)


def _network(tmp_path: Path) -> tuple[Network, Any]:
    pki = make_test_pki(["www.example.org"], key_type="rsa")
    site = tmp_path / "site"
    shutil.copytree(example_dir("static_website_tls") / "htdocs", site / "htdocs")
    (site / "tls").mkdir()
    (site / "tls" / "server.pem").write_bytes(pki.cert)
    (site / "tls" / "server.key").write_bytes(pki.key)
    net = (
        Network()
        .unikernel("ns1", example("dns_server"), argv=["--ipv4=10.0.0.2/24"], net="direct", no_dhcp=True)
        .unikernel(
            "www",
            example("static_website_tls"),
            argv=["--ipv4=10.0.0.80/24"],
            data_dir=str(site),
            net="direct",
            no_dhcp=True,
        )
    )
    return net, pki


def test_a_visitor_resolves_the_name_then_fetches_the_page_over_https(tmp_path: Path) -> None:
    net, pki = _network(tmp_path)
    got: list[Any] = []
    laptops: list[DnsClientPeer] = []

    def setup(lan: Any) -> None:
        laptop = DnsClientPeer(lan, name="laptop", cidr="10.0.0.9/24", nameservers=["udp:10.0.0.2"])
        laptops.append(laptop)
        browser = HttpPeer(laptop, ca=pki.ca)

        async def visit() -> None:
            await Mirage_sleep.ns(Duration.of_sec(2))
            got.append(await browser.get("https://www.example.org/"))
            got.append(await browser.get("https://www.example.org/style.css"))

        laptop.script(visit)

    run = run_with_peers(net, setup, until="4s")
    assert [(r.status, r.tls_version) for r in got] == [(200, "TLSv1.3"), (200, "TLSv1.3")]
    assert b"static website" in got[0].body
    assert laptops[0].resolver.sent == 1  # the second lookup came from the cache
    assert any("www.example.org. A -> NOERROR" in line for line in run.lines) or laptops[0].results
    assert run.lan_names  # both unikernels and the laptop are named in the capture
    assert {"ns1", "www", "laptop"} <= set(run.lan_names.values())


def test_a_plain_peer_cannot_fetch_a_name(tmp_path: Path) -> None:
    net, pki = _network(tmp_path)
    errors: list[str] = []

    def setup(lan: Any) -> None:
        browser = HttpPeer(Peer(lan, name="plain", cidr="10.0.0.9/24"), ca=pki.ca)

        async def visit() -> None:
            await Mirage_sleep.ns(Duration.of_sec(2))
            try:
                await browser.get("https://www.example.org/")
            except SimulationError as e:
                errors.append(str(e))

        browser.peer.script(visit)

    run_with_peers(net, setup, until="3s")
    assert len(errors) == 1 and "cannot resolve 'www.example.org'" in errors[0] and "DnsClientPeer" in errors[0]


def test_a_name_that_does_not_resolve_says_so(tmp_path: Path) -> None:
    net, pki = _network(tmp_path)
    errors: list[str] = []

    def setup(lan: Any) -> None:
        laptop = DnsClientPeer(lan, name="laptop", cidr="10.0.0.9/24")
        browser = HttpPeer(laptop, ca=pki.ca)

        async def visit() -> None:
            await Mirage_sleep.ns(Duration.of_sec(2))
            with pytest.raises(SimulationError) as e:
                await browser.get("https://nope.example.org/")
            errors.append(str(e.value))

        laptop.script(visit)

    run_with_peers(net, setup, until="3s")
    assert len(errors) == 1 and "nope.example.org did not resolve" in errors[0]
