"""The simulated run a gallery page shows: which boot arguments, how long, with which disks and peers.

A bundled example may need a little stage set for a useful transcript: a
disk image for its block device, a peer on its LAN. :data:`RUN_CHOICES`
holds those choices for the bundled examples (the gallery's own, as the
gallery notebook has its own); any other config directory runs with its
defaults for :data:`DEFAULT_UNTIL` of virtual time. Every run happens in a
throw-away copy of the config directory, so no disk image is ever written
into the package or the learner's directory. A unikernel with a network
interface runs on a virtual LAN recorded to pcap bytes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirage_nb.errors import MirageNbError
from mirage_nb.sim.block import SECTOR_SIZE

__all__ = ["RunChoice", "RUN_CHOICES", "DEFAULT_UNTIL", "Transcript", "simulate"]

DEFAULT_UNTIL = "5s"
"""Virtual time a run may take at most, unless its :class:`RunChoice` says otherwise."""


@dataclass(frozen=True)
class RunChoice:
    """How the gallery runs one unikernel: configure keys, boot arguments, seed, virtual-time limit."""

    keys: Mapping[str, Any] = field(default_factory=dict)
    argv: tuple[str, ...] = ()
    seed: int = 0
    until: str = DEFAULT_UNTIL
    disk_sectors: int = 2048
    peers: str | None = None  # one of the scenarios of :data:`PEERS`


RUN_CHOICES: dict[str, RunChoice] = {
    "block": RunChoice(disk_sectors=4096),
    "disk-lottery": RunChoice(argv=("--reset-all",), disk_sectors=8),
    "echo_server": RunChoice(seed=1, until="30s"),
    "network": RunChoice(keys={"net": "direct", "no_dhcp": True}, argv=("--ipv4", "10.0.0.2/24"), peers="tcp-client"),
    "ping6": RunChoice(until="3s", peers="pinger"),
    "http": RunChoice(keys={"net": "direct", "no_dhcp": True}, argv=("--ipv4", "10.0.0.2/24"), peers="http-client"),
}
"""The gallery's choices for bundled examples, by directory name."""


@dataclass(frozen=True)
class Transcript:
    """What a run showed: its console lines, how it ended, and the LAN capture if it had a network."""

    lines: tuple[str, ...]
    status: str
    pcap: bytes | None
    peers: str | None
    error: str | None = None
    command: str = ""
    record: str = ""  # the run's reproducibility record (mirage_nb.sim.record), as `mirage-nb run --record` writes it


def _tcp_client(lan: Any) -> None:
    from mirage_nb.sim.clocks import Duration, Mirage_sleep
    from mirage_nb.sim.netdev.peer import Peer

    c = Peer(lan, name="client", cidr="10.0.0.1/24")

    async def talk() -> None:
        await Mirage_sleep.ns(Duration.of_sec(2))
        f = await c.connect("10.0.0.2", 8080)
        await c.send(f, b"hello\n")
        await c.wait_closed(f, timeout_ns=500_000_000)
        await c.close(f)

    c.script(talk)


def _pinger(lan: Any) -> None:
    from mirage_nb.sim.clocks import Duration, Mirage_sleep
    from mirage_nb.sim.net.ipv6 import link_local_from_mac
    from mirage_nb.sim.netdev.peer import Peer

    c = Peer(lan, name="pinger", cidr="10.0.0.1/24")

    async def go() -> None:
        await Mirage_sleep.ns(Duration.of_sec(2))
        target = link_local_from_mac(lan.device("tap0").mac_bytes)
        for seq in range(3):
            await c.ping(target, seq, b"mirage")
        await c.send_udp(target, 1234, 5678, b"x")

    c.script(go)


def _http_client(lan: Any) -> None:
    from mirage_nb.sim.netdev.http_peer import HttpPeer

    HttpPeer.on(lan).fetch(["http://10.0.0.2:8080/", "http://10.0.0.2:8080/nope"], at="2s")


PEERS: dict[str, tuple[str, Callable[[Any], None]]] = {
    "http-client": ("an HTTP client at 10.0.0.1 gets / and /nope on port 8080 at 2 s", _http_client),
    "tcp-client": ("a client at 10.0.0.1 connects to port 8080 at 2 s and sends “hello”", _tcp_client),
    "pinger": (
        "a peer pings the unikernel's IPv6 link-local address three times at 2 s, then sends one UDP datagram",
        _pinger,
    ),
}
"""Scripted peers on the LAN: a sentence for the page, and the function that attaches them."""


def _prepare_disks(nodes: list[Any], base: Path, sectors: int) -> None:
    """Give every block device whose image is missing a zeroed one (formatted if a file system sits on it)."""
    formatted = {dep for n in nodes if n.kind == "chamelon" for dep in (*n.args, *n.deps)}
    for n in nodes:
        if n.kind == "block" and "file" in n.params and not (base / n.params["file"]).exists():
            image = base / n.params["file"]
            image.parent.mkdir(parents=True, exist_ok=True)
            image.write_bytes(bytes(sectors * SECTOR_SIZE))
            if n.id in formatted:
                from mirage_nb.sim.chamelon import format_image

                format_image(str(image))


def _beside(path: str, copy: Path, directory: Path) -> str:
    """A path in the run's copy of ``directory`` as the same path in ``directory`` (a kv_ro directory keeps its /)."""
    rel = os.path.relpath(path, copy)
    return os.path.join(directory, rel) + ("/" if path.endswith("/") else "")


def simulate(app: Any, directory: Path, choice: RunChoice) -> Transcript:
    """Run ``app`` (loaded from ``directory``) on the virtual clock as ``choice`` says; errors become the transcript."""
    import io

    from mirage_nb.sim.boot import boot, files_loaded, load_unikernel
    from mirage_nb.sim.cli import nodes_of_graph
    from mirage_nb.sim.net.pcap import PcapWriter
    from mirage_nb.sim.netdev.kinds import NET_CONNECTORS
    from mirage_nb.sim.netdev.lan import VirtualLan
    from mirage_nb.sim.record import record_of
    from mirage_nb.sim.run import Run
    from mirage_nb.sim.run_inputs import inputs_of

    if not (directory / "unikernel.py").is_file():
        return Transcript(
            (), "not run", None, None, "no unikernel.py beside the config (the Python twin of unikernel.ml)"
        )
    with tempfile.TemporaryDirectory(prefix="mirage-nb-gallery-") as tmp:
        base = Path(tmp) / "uk"
        shutil.copytree(directory, base, ignore=shutil.ignore_patterns("_build", "mirage", "dist", "__pycache__"))
        try:
            request = app.request("run", "unix", **choice.keys)
            args = request.keys.command_line()
            configured = app.configured(request)
            nodes = nodes_of_graph(configured)
            _prepare_disks(nodes, base, choice.disk_sectors)
            images, files = inputs_of(nodes, str(base))  # what the record keeps: the disks as at boot
            with files_loaded() as loaded:
                unikernel = load_unikernel(str(base / "unikernel.py"))
            run = Run(seed=choice.seed, argv=list(choice.argv), name=app.name, until=choice.until)
            pcap: bytes | None = None
            buf = io.BytesIO()
            if any(n.kind == "netif" for n in nodes):
                lan = VirtualLan.of_run(run, pcap=PcapWriter(buf))
                if choice.peers is not None:
                    PEERS[choice.peers][1](lan)
            cwd = os.getcwd()
            os.chdir(base)  # device data (disk images, kv directories) is read relative to the config directory
            try:
                with files_loaded() as loaded_at_run:
                    result = boot(nodes, unikernel, run=run, data_dir=str(base), connectors=NET_CONNECTORS)
            finally:
                os.chdir(cwd)
            if any(n.kind == "netif" for n in nodes):
                pcap = buf.getvalue()
            config = directory / Path(app.config_file).name
            record = record_of(
                configured,
                config=str(config),
                code=str(directory / "unikernel.py"),
                argv=choice.argv,
                seed=choice.seed,
                until=choice.until,
                data_dir=str(directory),
                disks=images,
                inputs={_beside(p, base, directory): d for p, d in {**files, **loaded, **loaded_at_run}.items()},
            ).to_json(relative_to=directory)
        except MirageNbError as e:
            return Transcript((), "failed", None, None, str(e).replace(str(base), "."))
    when = f"{result.end_ns / 1e9:g} s of virtual time"
    if result.exit_code is None:
        status = f"No exit after {when}: {result.note}."
    else:
        status = f"Exit code {result.exit_code} after {when}: {result.note}."
    command = " ".join(
        [
            "mirage-nb run",
            *args,
            f"--seed={choice.seed}",
            f"--until={choice.until}",
            *(["--", *choice.argv] if choice.argv else []),
        ]
    )
    return Transcript(
        tuple(result.lines), status, pcap, PEERS[choice.peers][0] if choice.peers else None, None, command, record
    )
