"""Two simulated unikernels on virtual LANs: a client unikernel talks TCP to the network example.

Both are evaluated by the engine from configs (the network example's config.ml,
the client's written with the DSL) and run together by ``sim.network.Network``.
"""

from __future__ import annotations

import os
import types

import pytest
from sim_graphs import application

import mirage_nb.mirage as M
from mirage_nb.errors import SimulationError
from mirage_nb.loader import load_config
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR
from mirage_nb.sim.network import Network
from mirage_nb.unikernel import Duration, Mirage_sleep

CLIENT = """
from mirage_nb.unikernel import Duration, Logs, Mirage_sleep, Ok


class Main:
    def __init__(self, S):
        self.S = S

    async def start(self, s):
        S = self.S
        await Mirage_sleep.ns(Duration.of_sec(2))
        match await S.TCP.create_connection(S.tcp(s), ("10.0.0.2", 8080)):
            case Ok(flow):
                Logs.info("client: connected from %s", str(S.TCP.src(flow)[0]))
                await S.TCP.write(flow, b"hello from another unikernel")
                await S.TCP.close(flow)
            case e:
                Logs.err("client: %s", str(e))
"""


def client_module(code: str = CLIENT) -> types.ModuleType:
    m = types.ModuleType("client_unikernel")
    exec(compile(code, "client_unikernel.py", "exec"), m.__dict__)
    return m


def network_example():
    return load_config(os.path.join(EXAMPLES_DIR, "network", "config.ml"))


def client_app():
    return application("client", [M.generic_stackv4v6(M.default_network)], job="Unikernel.Main")


STATIC = {"net": "direct", "no_dhcp": True}


def test_client_unikernel_reaches_the_network_example():
    net = (
        Network()
        .unikernel("server", network_example(), argv=["--ipv4", "10.0.0.2/24", "-l", "application:debug"], **STATIC)
        .unikernel("client", client_app(), argv=["--ipv4", "10.0.0.3/24"], unikernel=client_module(), **STATIC)
    )
    r = net.run(until="5s", pcap=True)
    app = [line.split(": ", 1)[1] for line in r.lines if "[application]" in line]
    assert app[0] == "[INFO] [application] client: connected from 10.0.0.3"
    assert app[1].startswith("[INFO] [application] new tcp connection from IP 10.0.0.3 on port ")
    assert app[2] == "[DEBUG] [application] read: 28 bytes:"
    assert "hello from another unikernel" in r.lines
    # Each stack announced its own address on the shared LAN.
    assert sum("Dual TCP/IP stack assembled" in line for line in r.lines) == 2
    assert sorted(r.lan_names.values()) == ["client", "server"]
    assert r.capture == net.run(until="5s", pcap=True).capture  # a description runs again, byte for byte


def test_unikernels_on_two_lans_see_only_their_own():
    seen: dict[str, object] = {}

    async def ping(peer):
        await Mirage_sleep.ns(Duration.of_sec(2))
        seen[peer.name] = await peer.ping("10.0.0.2", 1, b"x")

    net = (
        Network()
        .lan("a")
        .lan("b")
        .unikernel("left", network_example(), lan="a", argv=["--ipv4=10.0.0.2/24"], **STATIC)
        .unikernel("right", network_example(), lan="b", argv=["--ipv4=10.0.0.3/24"], **STATIC)
        .peer("pa", ping, lan="a", cidr="10.0.0.1/24")
        .peer("pb", ping, lan="b", cidr="10.0.0.1/24")
    )
    r = net.run(until="3s", pcap=True)
    assert seen["pa"] is not None and seen["pb"] is None  # 10.0.0.2 is on LAN a only
    assert sorted(r.names["a"].values()) == ["left", "pa"] and sorted(r.names["b"].values()) == ["pb", "right"]
    assert set(r.captures) == {"a", "b"} and r.captures["a"] != r.captures["b"]
    with pytest.raises(SimulationError, match="captures"):
        r.capture  # noqa: B018 - two LANs: say which


def test_network_mistakes_are_explained():
    with pytest.raises(SimulationError, match="no unikernel"):
        Network().run()
    with pytest.raises(SimulationError, match="no LAN named 'x'"):
        Network().peer("p", lan="x")
    with pytest.raises(SimulationError, match="already has a device named 'p'"):
        Network().peer("p").peer("p")
    with pytest.raises(SimulationError, match="not a string"):
        Network().unikernel("u", network_example(), argv="--ipv4=1")


def hello_example():
    return load_config(os.path.join(EXAMPLES_DIR, "hello", "config.ml"))


def test_each_unikernel_has_its_own_console_and_log_levels():
    net = (
        Network()
        .unikernel("server", network_example(), argv=["--ipv4", "10.0.0.2/24", "-l", "application:debug"], **STATIC)
        .unikernel(
            "client", client_app(), argv=["--ipv4", "10.0.0.3/24", "-l", "warning"], unikernel=client_module(), **STATIC
        )
    )
    r = net.run(until="5s")
    server, client = r.console("server"), r.console("client")
    # -l is each one's own: the client logs at warning and above only, the server at debug for its application
    assert any("[DEBUG] [application] read: 28 bytes:" in line for line in server)
    assert "hello from another unikernel" in server
    assert not any("[INFO]" in line for line in client)
    assert not any("client: connected" in line for line in server)
    # every line is someone's, in time order, and the transcript says whose
    assert sorted(r.lines) == sorted(server + client)
    assert len(r.transcript) == len(r.lines)
    assert all(t.startswith(("server | ", "client | ")) for t in r.transcript)
    assert [t.split(" | ", 1)[1] for t in r.transcript if t.startswith("server")] == server
    assert [rec.source for rec in r.logs("client")] == []
    assert r.exit_codes == {"server": None, "client": 0}
    with pytest.raises(SimulationError, match="no unikernel or peer named 'nobody'"):
        r.console("nobody")


def test_an_idle_network_runs_until_the_limit_and_a_halted_unikernel_leaves_the_others_running():
    pings: list[object] = []

    async def ping_late(peer):
        await Mirage_sleep.ns(Duration.of_sec(8))
        pings.append(await peer.ping("10.0.0.2", 1, b"late"))

    net = (
        Network()
        .unikernel("server", network_example(), argv=["--ipv4=10.0.0.2/24"], **STATIC)
        .unikernel("hello", hello_example())
        .peer("late", ping_late, cidr="10.0.0.1/24")
    )
    r = net.run(until="10s")
    assert r.run.stopped.value == "until" and r.run.end_ns == 10_000_000_000
    assert sum("hello" in line for line in r.console("hello")) == 4
    assert r.exit_codes == {"server": None, "hello": 0}
    assert pings and pings[0] is not None  # the server answered at 8 s, long after hello ended
    idle = Network().unikernel("server", network_example(), argv=["--ipv4=10.0.0.2/24"], **STATIC).run(until="7s")
    assert idle.run.stopped.value == "until" and idle.run.end_ns == 7_000_000_000
    alone = Network().unikernel("hello", hello_example()).run(until="10s")
    assert alone.run.stopped.value == "finished" and alone.run.exit_code == 0 and alone.run.end_ns < 10_000_000_000


def test_a_failed_peer_script_is_that_peers_error_not_the_end_of_the_run():
    got: list[object] = []

    async def refused(peer):
        await Mirage_sleep.ns(Duration.of_sec(2))
        await peer.connect("10.0.0.2", 9999)  # nothing listens there: refused
        got.append("unreachable")

    async def pinger(peer):
        await Mirage_sleep.ns(Duration.of_sec(3))
        got.append(await peer.ping("10.0.0.2", 1, b"x"))

    r = (
        Network()
        .unikernel("server", network_example(), argv=["--ipv4=10.0.0.2/24"], **STATIC)
        .peer("bad", refused, cidr="10.0.0.1/24")
        .peer("good", pinger, cidr="10.0.0.5/24")
        .run(until="5s")
    )
    assert r.run.stopped.value == "until"
    assert set(r.errors) == {"bad"} and isinstance(r.errors["bad"], SimulationError)
    assert "refused" in str(r.errors["bad"]).lower() or "Refused" in str(r.errors["bad"])
    assert r.console("bad") == [f"bad: script failed: SimulationError: {r.errors['bad']}"]
    assert len(got) == 1 and got[0] is not None  # the other peer went on


def test_a_unikernel_that_fails_to_boot_ends_alone():
    r = (
        Network()
        .unikernel("server", network_example(), argv=["--ipv4=10.0.0.2/24"], **STATIC)
        .unikernel("broken", network_example(), argv=["--ipv4=10.0.0.3/24", "--no-such-flag"], **STATIC)
        .run(until="3s")
    )
    assert r.exit_codes["server"] is None and r.exit_codes["broken"] not in (None, 0)
    assert any("no-such-flag" in line for line in r.console("broken"))
    assert any("stack assembled" in line for line in r.console("server"))
    assert not any("stack assembled" in line for line in r.console("broken"))


def test_frames_in_flight_arrive_after_their_sender_has_ended():
    # The client writes and returns at once: its unikernel ends with its frames still on a 1 ms link.
    # The LAN is the network's, not the client's: they must still reach the server.
    from mirage_nb.sim.net.switch import LinkProfile

    net = Network(profile=LinkProfile(latency=1_000_000)).unikernel(
        "server", network_example(), argv=["--ipv4", "10.0.0.2/24", "-l", "application:debug"], **STATIC
    )
    net.unikernel(
        "client",
        client_app(),
        argv=["--ipv4", "10.0.0.3/24"],
        unikernel=client_module(CLIENT.replace("await S.TCP.close(flow)", "pass")),
        **STATIC,
    )
    r = net.run(until="5s")
    assert r.run.instances["client"].exit_code == 0
    assert "hello from another unikernel" in r.lines
