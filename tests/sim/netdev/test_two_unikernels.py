"""Two simulated unikernels on one virtual LAN: a client unikernel talks TCP to the network example."""

from __future__ import annotations

import types

from mirage_nb.sim.netdev.kinds import attach_unikernel, network_nodes, run_network_example

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


def client_module() -> types.ModuleType:
    m = types.ModuleType("client_unikernel")
    exec(compile(CLIENT, "client_unikernel.py", "exec"), m.__dict__)
    return m


def test_client_unikernel_reaches_the_network_example():
    def setup(lan):
        attach_unikernel(lan, network_nodes(net="direct", dhcp=False), client_module(), argv=["--ipv4", "10.0.0.3/24"])

    r = run_network_example(
        "network",
        argv=["--ipv4", "10.0.0.2/24", "-l", "application:debug"],
        until="5s",
        setup=setup,
        net="direct",
        dhcp=False,
    )
    app = [line.split(": ", 1)[1] for line in r.lines if "[application]" in line]
    assert app[0] == "[INFO] [application] client: connected from 10.0.0.3"
    assert app[1].startswith("[INFO] [application] new tcp connection from IP 10.0.0.3 on port ")
    assert app[2] == "[DEBUG] [application] read: 28 bytes:"
    assert "hello from another unikernel" in r.lines
    # Each stack announced its own address on the shared LAN.
    assert sum("Dual TCP/IP stack assembled" in line for line in r.lines) == 2
