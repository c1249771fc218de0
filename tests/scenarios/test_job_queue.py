"""The persistent job queue: jobs put in one run are still there in the next run on the same disk image."""

from __future__ import annotations

from typing import Any

from mirage_nb.lab import Duration, Mirage_sleep, Network, Peer, disk_image, example


def queue_net(disk: bytearray) -> Network:
    return Network().unikernel(
        "queue", example("job_queue"), argv=["--ipv4=10.0.0.2/24"], disks={"jobs.img": disk}, net="direct", no_dhcp=True
    )


def talk(lines: list[str], answers: list[str], *, at_s: int = 2) -> Any:
    """A client script: send ``lines`` to the queue, one at a time, and keep each answer line."""

    async def script(peer: Peer) -> None:
        await Mirage_sleep.ns(Duration.of_sec(at_s))
        f = await peer.connect("10.0.0.2", 7000)
        for line in lines:
            seen = bytes(f.data).count(b"\n")
            await peer.send(f, (line + "\n").encode())
            while bytes(f.data).count(b"\n") == seen:
                assert await peer.wait_bytes(f, len(f.data) + 1, timeout_ns=5 * 10**9)
        answers.extend(bytes(f.data).decode().splitlines())
        await peer.close(f)

    return script


def test_jobs_survive_a_restart_of_the_queue() -> None:
    disk = disk_image(256, littlefs=True)
    first: list[str] = []
    queue_net(disk).peer(
        "client", talk(["PUT fib 20", "PUT factor 360", "TAKE", "STATS"], first), cidr="10.0.0.9/24"
    ).run(until="4s")
    assert first == ["OK 000001", "OK 000002", "JOB 000001 fib 20", "pending 1 taken 1 done 0"]

    # The queue is stopped (the run ended) and started again on the same disk image.
    second: list[str] = []
    run = (
        queue_net(disk)
        .peer(
            "client",
            talk(["STATS", "TAKE", "TAKE", "DONE 000001 6765", "RESULT 000001", "PUT fib 10"], second),
            cidr="10.0.0.9/24",
        )
        .run(until="4s")
    )
    # The taken job went back to pending at start (its worker went with the old run): at least once.
    assert second == [
        "pending 2 taken 0 done 0",
        "JOB 000001 fib 20",
        "JOB 000002 factor 360",
        "OK 000001",
        "RESULT 000001 fib 20 = 6765",
        "OK 000003",  # the job counter is on the disk too
    ]
    assert any("store mounted: 2 pending (1 put back from taken), 0 done, next job 3" in line for line in run.lines)


def test_a_fresh_disk_starts_empty_and_bad_commands_are_answered() -> None:
    answers: list[str] = []
    queue_net(disk_image(256, littlefs=True)).peer(
        "client", talk(["TAKE", "DONE 000009 x", "RESULT 000009", "FLY"], answers), cidr="10.0.0.9/24"
    ).run(until="4s")
    assert answers == ["EMPTY", "ERR not taken 000009", "ERR unknown 000009", "ERR unknown command 'FLY'"]


def test_workers_take_every_job_once_and_the_results_are_kept() -> None:
    disk = disk_image(256, littlefs=True)
    queue_net(disk).peer("client", talk([f"PUT fib {n}" for n in (10, 20, 30, 40)], []), cidr="10.0.0.9/24").run(
        until="4s"
    )
    net = queue_net(disk)
    for i in (1, 2):
        net.unikernel(
            f"w{i}",
            example("job_worker"),
            argv=[f"--ipv4=10.0.0.1{i}/24", f"--worker=w{i}", "--work-ms=500"],
            net="direct",
            no_dhcp=True,
        )
    run = net.run(until="6s")
    done = sorted(line.split("] ", 2)[2] for line in run.lines if "[job_worker]" in line and ": job " in line)
    assert sorted(d.split(": ", 1)[1] for d in done) == [
        "job 000001: fib 10 = 55",
        "job 000002: fib 20 = 6765",
        "job 000003: fib 30 = 832040",
        "job 000004: fib 40 = 102334155",
    ]
    assert {d.split(":")[0] for d in done} == {"w1", "w2"}  # both workers had a share
    stats: list[str] = []
    queue_net(disk).peer("client", talk(["STATS", "RESULT 000004"], stats), cidr="10.0.0.9/24").run(until="4s")
    assert stats == ["pending 0 taken 0 done 4", "RESULT 000004 fib 40 = 102334155"]


def test_workers_taking_at_once_get_distinct_jobs() -> None:
    disk = disk_image(256, littlefs=True)
    queue_net(disk).peer("client", talk([f"PUT fib {n}" for n in range(6)], []), cidr="10.0.0.9/24").run(until="4s")
    got: dict[str, list[str]] = {}
    net = queue_net(disk)
    for i in range(3):
        got[f"c{i}"] = []
        net.peer(f"c{i}", talk(["TAKE", "TAKE", "TAKE"], got[f"c{i}"]), cidr=f"10.0.0.{30 + i}/24")
    net.run(until="4s")
    taken = sorted(a.split()[1] for answers in got.values() for a in answers if a.startswith("JOB"))
    assert taken == [f"{n:06d}" for n in range(1, 7)]  # every job once, none twice
    assert sum(a == "EMPTY" for answers in got.values() for a in answers) == 3
