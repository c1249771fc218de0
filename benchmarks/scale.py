"""Scale: N web-server unikernels and N HTTP client peers on one virtual LAN, for 60 virtual seconds.

Each server is the bundled ``conduit_server`` example (cohttp over conduit
over the direct TCP/IP stack), booted from its ``config.ml`` through the
public API (:class:`mirage_nb.lab.Network`), with its own address; each
client is a scripted peer that fetches ``/`` from its server once every
virtual second. For each N the script prints:

- ``setup``: real seconds to evaluate the N configs and describe the network;
- ``run``: real seconds of the run itself, and the virtual-to-real speed
  (60 virtual seconds / real seconds: above 1 is faster than real time);
  ``cpu``: the process's CPU seconds for the run, and the same speed in CPU
  time (on a machine shared with other work, the real seconds include the
  waits for a core; the CPU figures do not);
- ``mem/uk``: the process's peak resident memory growth during the run,
  divided by N (RSS: what the machine pays, tracemalloc would slow the run);
- ``idle mem/uk``: the same for a run of the N servers alone, booted and idle
  for the same 60 virtual seconds;
- the number of HTTP responses (N x 60 expected) and scheduler events;
- growth: how run time, events, set-up and the run's memory grow from one N to the next, as an
  exponent (1.0: linear; 2.0: quadratic; N log N from 100 to 1000 is ~1.15).

The peer (``--peer netns``, as root): the same benchmark on the machine's own
kernel, as a network course runs it today with Mininet ("hundreds of hosts
per machine"): 2N Linux network namespaces, N servers at the same addresses
answering ``/`` with conduit_server's bytes and N clients, each on a veth
into Linux bridges (``benchmarks/netns_peer.py``; no Mininet, no Open
vSwitch). Its clients fetch once per *real* second, so its run takes the
same number of real seconds. One Python process drives all 2N hosts from one
asyncio loop (a socket is made inside a namespace with ``setns``), not a
process per host as Mininet does: 2,000 processes would not fit two cores and
would measure process scheduling rather than the network. For each N it
prints, under the simulator's row:

- ``setup``: real seconds to create the namespaces, veths, bridges, addresses
  and listening sockets; ``teardown``: real seconds to remove them;
- ``cpu``: the process's user+sys seconds during the run (the kernel's network
  work mostly runs there) plus the ksoftirqd threads' (what the kernel
  deferred); ``kernel``: the kernel's share of it (sys + ksoftirqd), the rest
  being the Python that drives the hosts (asyncio, h11 on both sides);
- ``KB/host``: memory per namespace host once set up (the process's RSS
  growth and the kernel's, ``Slab + Percpu + KernelStack + VmallocUsed`` from
  /proc/meminfo, machine-wide, over 2N hosts); ``KB/N run``: the same at the
  end of the run, over N (a server and its client, as the simulator's mem/uk);
- responses and late ones (no answer within a second of the fetch's start,
  failed, or a second skipped because the previous fetch was still running);
  past about 460 pairs the peer gives each client and its server static ARP
  entries (the kernel's one ARP table for all namespaces holds 1024 by
  default; the row says so), see ``netns_peer.measure``;
- ``sim/peer``: the simulator's figure over the peer's (run time: below 1 the
  simulator's 60 virtual seconds took less real time than the peer's 60 real
  seconds; CPU; memory per unikernel over memory per namespace host).

Run: ``python benchmarks/scale.py`` (N = 10 and 100) or
``python benchmarks/scale.py --n 10 100 1000``; ``--seconds`` changes the
virtual duration, ``--profile N`` prints a cProfile of one run, ``--routed``
puts the servers and the clients on two LANs joined by a router
(:meth:`~mirage_nb.lab.Network.router`), ``--peer netns`` adds the peer
(root, iproute2). Each N runs in a fresh process, so the memory figures do
not include the previous run's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from typing import Any


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def build(n: int, *, clients: bool, seconds: int, routed: bool = False) -> tuple[Any, list[int]]:
    """The network: n conduit servers at 10.0.x.y/8, n clients at 10.100.x.y/8 (one per server).

    ``routed``: servers at 10.x.0.y/9 on LAN ``servers``, clients at 10.(128+x).0.y/9 on
    LAN ``clients``, and a router between them (10.0.0.1 and 10.128.0.1).
    """
    from mirage_nb.lab import Duration, HttpPeer, Mirage_sleep, Network, example

    app = example("conduit_server")
    net = Network()
    ok = [0]
    if routed:
        net.lan("servers").lan("clients").router("router", {"servers": "10.0.0.1/9", "clients": "10.128.0.1/9"})
    for i in range(n):
        ip = f"10.{i // 250}.0.{i % 250 + 2}"
        if routed:
            argv = [f"--ipv4={ip}/9", "--ipv4-gateway=10.0.0.1"]
            net.unikernel(f"web{i}", app, argv=argv, lan="servers", net="direct", no_dhcp=True)
        else:
            net.unikernel(f"web{i}", app, argv=[f"--ipv4={ip}/8"], net="direct", no_dhcp=True)
    if clients:
        for i in range(n):
            server = f"10.{i // 250}.0.{i % 250 + 2}"

            async def fetch(peer: Any, server: str = server) -> None:
                web = HttpPeer(peer)
                await Mirage_sleep.ns(Duration.of_sec(1))
                for _ in range(seconds - 1):
                    r = await web.get(f"http://{server}/")
                    if r.status == 200:
                        ok[0] += 1
                    await Mirage_sleep.ns(Duration.of_sec(1))

            if routed:
                cidr = f"10.{128 + i // 250}.0.{i % 250 + 2}/9"
                net.peer(f"client{i}", fetch, lan="clients", cidr=cidr, gateway="10.128.0.1")
            else:
                net.peer(f"client{i}", fetch, cidr=f"10.{100 + i // 250}.0.{i % 250 + 2}/8")
    return net, ok


def measure(n: int, *, clients: bool, seconds: int, routed: bool = False) -> dict[str, Any]:
    t0 = time.perf_counter()
    net, ok = build(n, clients=clients, seconds=seconds, routed=routed)
    setup = time.perf_counter() - t0
    rss0 = _rss_kb()
    t1 = time.perf_counter()
    c1 = time.process_time()
    r = net.run(until=f"{seconds}s")
    real = time.perf_counter() - t1
    cpu = time.process_time() - c1
    peak = _peak_kb()
    errors = r.errors
    return {
        "n": n,
        "setup_s": setup,
        "run_s": real,
        "cpu_s": cpu,
        "speed": seconds / real,
        "cpu_speed": seconds / cpu,
        "mem_kb_per_uk": max(0, peak - rss0) / n,
        "responses": ok[0],
        "events": r.run.events,
        "errors": len(errors),
        "lines": len(r.lines),
        "stopped": r.run.stopped.value,
    }


def _child(n: int, clients: bool, seconds: int, profile: bool, routed: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", str(n), "--seconds", str(seconds)]
    if routed:
        cmd.append("--routed")
    if not clients:
        cmd.append("--idle")
    if profile:
        cmd.append("--profile-child")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    if profile:
        print(out.stderr)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "netns_peer.py")
PEER_DESIGN = (
    "peer netns: 2N Linux network namespaces (N servers, N clients), each on a veth into Linux bridges, as Mininet "
    "hosts;\n  one Python process drives them all from one asyncio loop (setns to make each socket in its namespace), "
    "not a process per host\n  as Mininet does (2N processes would not fit 2 cores and would measure process "
    "scheduling, not the network);\n  its clients fetch once per real second, so its run takes {seconds} real seconds"
)


def _peer_unavailable() -> str | None:
    sys.path.insert(0, os.path.dirname(PEER))
    try:
        from netns_peer import unavailable
    finally:
        sys.path.pop(0)
    return unavailable()


def _peer(n: int, seconds: int) -> dict[str, Any]:
    cmd = [sys.executable, PEER, "--n", str(n), "--seconds", str(seconds)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"netns peer failed for N={n}:\n{out.stderr}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 else "-"


def _machine_speed() -> float:
    """Events per CPU second of sim.py's bare heapq loop: the same code runs a third slower or faster
    from one hour to the next on a shared virtual machine, so a row is read against this figure."""
    from sim import _delays, bench_heapq, measure  # benchmarks/sim.py, beside this script

    delays = _delays()
    return max(measure(bench_heapq, delays) for _ in range(3))


def _exponent(a: float, b: float, na: int, nb: int) -> float:
    return math.log(b / a) / math.log(nb / na) if a > 0 and b > 0 and na != nb else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10, 100])
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--profile", type=int, default=None, help="print a cProfile of the run with this N")
    ap.add_argument("--routed", action="store_true", help="servers and clients on two LANs joined by a router")
    ap.add_argument("--peer", choices=["netns"], default=None, help="also measure N namespace hosts (root)")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--idle", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--profile-child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child is not None:
        if a.profile_child:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            res = measure(a.child, clients=not a.idle, seconds=a.seconds, routed=a.routed)
            prof.disable()
            pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(30)
        else:
            res = measure(a.child, clients=not a.idle, seconds=a.seconds, routed=a.routed)
        print(json.dumps(res))
        return
    if a.profile is not None:
        _child(a.profile, True, a.seconds, True, a.routed)
        return
    if a.peer:
        if a.routed:
            ap.error("--peer compares the one-LAN run; leave out --routed")
        why = _peer_unavailable()
        if why:
            sys.exit(f"--peer netns: {why}")
    where = ", on two LANs joined by a router" if a.routed else ""
    print(f"{a.seconds} virtual seconds; N conduit_server unikernels + N HTTP clients{where}, one request/s each")
    print(f"this machine now: {_machine_speed() / 1e6:.2f} M events/s in a bare heapq event loop (benchmarks/sim.py)")
    if a.peer:
        print(PEER_DESIGN.format(seconds=a.seconds))
    print(
        f"{'N':>6} {'setup s':>8} {'run s':>8} {'virt/real':>9} {'cpu s':>8} {'virt/cpu':>8} {'mem/uk KB':>9} "
        f"{'idle KB/uk':>10} {'responses':>10} {'events':>10}"
    )
    if a.peer:
        print(
            f"{'peer N':>6} {'setup s':>8} {'run s':>8} {'teardown':>9} {'cpu s':>8} {'kernel':>8} {'KB/N run':>9} "
            f"{'KB/host':>10} {'responses':>10} {'late':>10}"
        )
    rows = []
    for n in a.n:
        busy = _child(n, True, a.seconds, False, a.routed)
        idle = _child(n, False, a.seconds, False, a.routed)
        rows.append((busy, idle))
        print(
            f"{n:>6} {busy['setup_s']:>8.2f} {busy['run_s']:>8.2f} {busy['speed']:>9.2f} "
            f"{busy['cpu_s']:>8.2f} {busy['cpu_speed']:>8.2f} {busy['mem_kb_per_uk']:>9.0f} "
            f"{idle['mem_kb_per_uk']:>10.0f} {busy['responses']:>10} "
            f"{busy['events']:>10}" + (f"  ({busy['errors']} peer errors)" if busy["errors"] else "")
        )
        sys.stdout.flush()
        if a.peer:
            p = _peer(n, a.seconds)
            notes = [f"{k}: {v}" for k, v in sorted(p["errors"].items())]
            if p["skipped"]:
                notes.append(f"{p['skipped']} seconds skipped")
            if p["static_arp"]:
                notes.append(f"static ARP: 2N entries would pass the kernel's limit of {p['arp_table_limit']}")
            errors = "; ".join(notes)
            print(
                f"{'netns':>6} {p['setup_s']:>8.2f} {p['run_s']:>8.2f} {p['teardown_s']:>9.2f} {p['cpu_s']:>8.2f} "
                f"{p['kernel_s']:>8.2f} {p['mem_kb_per_n']:>9.0f} {p['idle_kb_per_host']:>10.0f} "
                f"{p['responses']:>10} {p['late']:>10}" + (f"  ({errors})" if errors else "")
            )
            print(
                f"{'':>6} sim/peer: run time {_ratio(busy['run_s'], p['run_s'])}, "
                f"cpu {_ratio(busy['cpu_s'], p['cpu_s'])}, set-up {_ratio(busy['setup_s'], p['setup_s'])}, "
                f"memory per unikernel / per namespace host: run {_ratio(busy['mem_kb_per_uk'], p['mem_kb_per_n'])}, "
                f"idle {_ratio(idle['mem_kb_per_uk'], p['idle_kb_per_host'])}"
            )
            sys.stdout.flush()
    for (b0, _), (b1, _) in zip(rows, rows[1:], strict=False):
        mem0, mem1 = b0["mem_kb_per_uk"] * b0["n"], b1["mem_kb_per_uk"] * b1["n"]
        print(
            f"growth {b0['n']} -> {b1['n']}: run time ~ N^{_exponent(b0['run_s'], b1['run_s'], b0['n'], b1['n']):.2f}, "
            f"cpu ~ N^{_exponent(b0['cpu_s'], b1['cpu_s'], b0['n'], b1['n']):.2f}, "
            f"events ~ N^{_exponent(b0['events'], b1['events'], b0['n'], b1['n']):.2f}, "
            f"setup ~ N^{_exponent(b0['setup_s'], b1['setup_s'], b0['n'], b1['n']):.2f}, "
            f"memory ~ N^{_exponent(mem0, mem1, b0['n'], b1['n']):.2f}"
        )


if __name__ == "__main__":
    main()
