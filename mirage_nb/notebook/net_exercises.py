"""The exercises of tutorials 08-11 (the network stack, ARP and ping, TCP, the Linux bridge).

They live apart from the other tutorials' lists, as tutorial 12's and 13-14's
do; :func:`~.exercises.exercise` finds them by name, so ``check``, ``hint``
and ``solution`` know them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mirage_nb.sim.net.capture_view import PacketTable

__all__ = ["NET_EXERCISES"]


def _check_socket_net(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, 'answer with the value of the --net key, as a string (e.g. "direct").'
    if answer.strip() == "host":
        return True, "--net=host: the unikernel uses the host's kernel stack through sockets."
    if answer.strip() in ("direct", "ocaml"):
        return False, "--net=direct builds MirageOS's own stack (Netif, Ethernet, ARP...), not the socket one."
    return False, "the key takes host or direct; which one leaves the network to the host's kernel?"


def _check_ping_table(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, PacketTable):
        return False, "answer with a PacketTable: packet_table(capture) of your run's pcap."
    req = [r for r in answer.rows if r.summary.startswith("Echo (ping) request")]
    rep = [r for r in answer.rows if r.summary.startswith("Echo (ping) reply")]
    if len(req) != 3 or len(rep) != 3:
        return False, f"expected 3 echo requests and 3 replies, found {len(req)} and {len(rep)}."
    if not any(r.summary.startswith("who-has 10.0.0.2") for r in answer.rows):
        return False, "the peer never asked who-has 10.0.0.2: did it ping 10.0.0.2?"
    return True, "three pings, three replies, and one ARP exchange before the first."


def _check_handshake(answer: Any) -> tuple[bool, str]:
    want = ["SYN", "SYN, ACK", "ACK"]
    if not isinstance(answer, list | tuple) or not all(isinstance(a, str) for a in answer):
        return False, 'answer with a list of strings such as ["SYN", ...].'
    got = [a.strip().strip("[]").upper() for a in answer]
    if got == want:
        return True, "the three-way handshake: SYN, SYN-ACK, ACK (RFC 9293 §3.5)."
    return False, f"expected three segments, the client's first; got {got}."


def _check_bridge_ip(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "answer with an IPv4 address as a string."
    if answer.strip() == "10.0.0.2":
        return True, "the unikernel keeps its --ipv4 address; Linux is 10.0.0.1 on the same /24."
    if answer.strip() == "10.0.0.1":
        return False, "10.0.0.1 is the Linux side's own address (the bridge's default)."
    return False, "look at the --ipv4 default of the static stack."


def _net_exercises() -> Mapping[str, Any]:
    from types import MappingProxyType

    from mirage_nb.notebook.exercises import Exercise

    items = [
        Exercise(
            "08.socket_stack",
            "Which value of the --net key makes generic_stackv4v6 build the socket stack on unix?",
            _check_socket_net,
            ("Print layers(net=...) for both values.", "The socket stack's modules end in _socket."),
            'answer = "host"',
            "--net=host hands TCP/UDP to the host's kernel; --net=direct links MirageOS's own stack.",
        ),
        Exercise(
            "09.ping3",
            "Ping the network example three times from a peer (seq 0, 1, 2) and answer with the packet table.",
            _check_ping_table,
            ("Copy the ping run above and loop over range(3).", "answer = packet_table(result) after the run."),
            "from mirage_nb.lab import Duration, Mirage_sleep, Network, example, packet_table\n\n"
            "async def ping3(peer):\n"
            "    await Mirage_sleep.ns(Duration.of_sec(2))\n"
            "    for seq in range(3):\n"
            '        await peer.ping("10.0.0.2", seq)\n\n'
            "result = (Network()\n"
            '          .unikernel("unikernel", example("network"), net="direct", no_dhcp=True)\n'
            '          .peer("peer", ping3, cidr="10.0.0.1/24")\n'
            '          .run(until="4s", pcap=True))\n'
            "answer = packet_table(result)",
            "each ping is an echo request answered by an echo reply; ARP runs once, then the cache answers.",
        ),
        Exercise(
            "10.handshake",
            "List the flags of the three segments that open a TCP connection, in order.",
            _check_handshake,
            ("Look at the first three TCP rows of the table.", "The brackets hold the flags."),
            'answer = ["SYN", "SYN, ACK", "ACK"]',
            "the client's SYN, the server's SYN-ACK, the client's ACK.",
        ),
        Exercise(
            "11.address",
            "Which address does the Linux side ping to reach the bridged network example?",
            _check_bridge_ip,
            ("The static stack's --ipv4 default.", "Linux's own address is 10.0.0.1/24."),
            'answer = "10.0.0.2"',
            "the unikernel's address on the shared /24.",
        ),
    ]
    return MappingProxyType({e.name: e for e in items})


NET_EXERCISES: Mapping[str, Any] = _net_exercises()
"""The exercises of tutorials 08-11 (``exercises.Exercise`` records), by name."""
