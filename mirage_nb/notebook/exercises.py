"""The tutorials' exercises: ``check(name, answer)``, ``hint(name)`` and ``solution(name)``.

A tutorial cell asks for an answer and checks it in place::

    from mirage_nb.notebook.exercises import check, hint, solution
    answer = ...            # the learner replaces the ...
    check("01.register", answer)

The checks, hints and solutions live here, not in the notebooks, so a
solution stays hidden until the learner asks for it (``solution(name)``),
and the tests can run every solution through its own check. Exercises are
an immutable catalogue built at import time (no registry a cell could
change); hints are numbered (``hint(name, 2)``), never counted by a hidden
global, so re-running a cell shows the same text.

A check never raises for a wrong answer: it returns a :class:`Feedback`
(shown as text and HTML) that says what was expected. A misspelt exercise
name (or a hint number out of range) is feedback too, not an exception:
:func:`check`, :func:`hint` and :func:`solution` return a :class:`Notice`
suggesting the closest names. Only :func:`exercise`, the lookup for code,
raises :class:`ExerciseError`.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mirage_nb.errors import MirageNbError

__all__ = [
    "Exercise",
    "ExerciseError",
    "Feedback",
    "Notice",
    "Hint",
    "Solution",
    "EXERCISES",
    "check",
    "hint",
    "solution",
    "exercise",
]

_SEC = 1_000_000_000


class ExerciseError(MirageNbError):
    """An exercise name that does not exist, or a hint number out of range."""


@dataclass(frozen=True, slots=True)
class Feedback:
    """What a check says: ``ok`` is True (correct), False (not yet) or None (no answer given yet)."""

    name: str
    ok: bool | None
    message: str

    @property
    def status(self) -> str:
        return {True: "Correct", False: "Not yet", None: "No answer yet"}[self.ok]

    def __bool__(self) -> bool:
        return self.ok is True

    def __repr__(self) -> str:
        mark = {True: "✔", False: "✘", None: "…"}[self.ok]
        return f"{mark} {self.name}: {self.status}. {self.message}"

    def _repr_html_(self) -> str:
        colour = {True: "#1a7f37", False: "#cf222e", None: "#6e7781"}[self.ok]
        return (
            f'<div class="mirage-nb-exercise" style="border-left:4px solid {colour};padding:2px 8px">'
            f"<b>{html.escape(self.name)}: {html.escape(self.status)}.</b> {html.escape(self.message)}</div>"
        )


@dataclass(frozen=True, slots=True)
class Notice:
    """What check, hint or solution say when asked for something that is not there (a misspelt name)."""

    name: str
    message: str

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"✘ {self.message}"

    def _repr_html_(self) -> str:
        return (
            '<div class="mirage-nb-exercise" style="border-left:4px solid #cf222e;padding:2px 8px">'
            f"<b>{html.escape(self.name)}:</b> {html.escape(self.message)}</div>"
        )


@dataclass(frozen=True, slots=True)
class Hint:
    """One hint of an exercise (``number`` of ``total``)."""

    name: str
    number: int
    total: int
    text: str

    def __repr__(self) -> str:
        more = f" (hint({self.name!r}, {self.number + 1}) for the next)" if self.number < self.total else ""
        return f"Hint {self.number}/{self.total} for {self.name}: {self.text}{more}"

    def _repr_html_(self) -> str:
        return f'<div class="mirage-nb-hint">💡 {html.escape(repr(self))}</div>'


@dataclass(frozen=True, slots=True)
class Solution:
    """The solution of an exercise: Python code (or an answer) and why it is right."""

    name: str
    code: str
    why: str

    def __repr__(self) -> str:
        return f"# Solution of {self.name}: {self.why}\n{self.code.rstrip()}"

    def _repr_html_(self) -> str:
        return (
            f'<div class="mirage-nb-solution"><p>Solution of <b>{html.escape(self.name)}</b>: '
            f"{html.escape(self.why)}</p><pre>{html.escape(self.code.rstrip())}</pre></div>"
        )


Checker = Callable[[Any], tuple[bool, str]]


@dataclass(frozen=True)
class Exercise:
    """One exercise: what it asks, how its answer is checked, its hints and its solution.

    ``solution`` is Python code that binds ``answer``; the tests run it
    (in a fresh namespace) and check that ``answer`` passes ``checker``.
    """

    name: str
    prompt: str
    checker: Checker
    hints: tuple[str, ...]
    solution: str
    why: str
    setup: str = field(default="")

    def check(self, answer: Any) -> Feedback:
        if answer is Ellipsis:
            return Feedback(self.name, None, "Replace the ... with your answer, then run the cell again.")
        try:
            ok, msg = self.checker(answer)
        except Exception as e:
            return Feedback(self.name, False, f"checking this answer failed ({type(e).__name__}: {e}).")
        return Feedback(self.name, ok, msg)


# -- helpers for checkers --------------------------------------------------------------------


def number_check(ask: str, right: int, correct: str, near: Mapping[int, str], otherwise: str) -> Checker:
    """A checker for an answer that is one integer: why it is right, what each likely slip means.

    Most exercises ask for a number read off a run (a count, a status, a
    time); their feedback differs only in the words, so it is written as data:
    ``ask`` when the answer is not an integer, ``correct`` for ``right``,
    ``near[n]`` for a wrong answer worth explaining, ``otherwise`` for the rest.
    ``ask`` may name ``{kind}`` (the answer's type), the other texts ``{answer}``.
    """

    def check(answer: Any) -> tuple[bool, str]:
        if isinstance(answer, bool) or not isinstance(answer, int):
            return False, ask.format(kind=type(answer).__name__)
        if answer == right:
            return True, correct
        return False, near.get(answer, otherwise).format(answer=answer)

    return check


def _is_app(x: Any) -> bool:
    from mirage_nb.functoria.app import Application

    return isinstance(x, Application)


def _is_run(x: Any) -> bool:
    from mirage_nb.sim.run import RunResult

    return isinstance(x, RunResult)


def _need_run(x: Any) -> str | None:
    if not _is_run(x):
        return f"expected the result of a run (a RunResult), not {type(x).__name__}."
    return None


def _log_pairs(r: Any) -> list[tuple[float, str]]:
    return [(rec.time_ns / _SEC, rec.message) for rec in r.logs]


def _norm_cmd(s: str) -> str:
    return " ".join(str(s).split())


# -- the checkers ---------------------------------------------------------------------------------


def _check_unikernel(answer: Any) -> tuple[bool, str]:
    a = str(answer).strip().lower().strip("()")
    if a == "b":
        return True, "A unikernel is one application and the library OS it uses, in one address space."
    if a in ("a", "c"):
        return False, "a unikernel has no processes and no general-purpose OS underneath: think single purpose."
    return False, "answer with one letter: 'a', 'b' or 'c'."


def _check_register(app: Any) -> tuple[bool, str]:
    if not _is_app(app):
        return False, f"expected what register(...) returns (an application), not {type(app).__name__}."
    if app.name != "hello3":
        return False, f"the application is named {app.name!r}; it should be named 'hello3'."
    jobs = [getattr(getattr(j, "dev", None), "module_name", None) for j in app.jobs]
    if jobs != ["Unikernel"]:
        return False, f'expected one job, main "Unikernel" job; got {jobs}.'
    return True, "`mirage describe` now shows Name hello3 — the name of the unikernel binary too."


def _check_three_hi(r: Any) -> tuple[bool, str]:
    if (e := _need_run(r)) is not None:
        return False, e
    got = _log_pairs(r)
    want = [(0.0, "hi"), (2.0, "hi"), (4.0, "hi")]
    if got != want:
        return False, f"expected log messages {want} as (virtual seconds, message); got {got}."
    if r.exit_code != 0:
        return False, f"the unikernel should end normally (exit 0), it ended with {r.exit_code}."
    return True, "three lines, two virtual seconds apart — and the run took no real time at all."


def _check_salut(r: Any) -> tuple[bool, str]:
    if (e := _need_run(r)) is not None:
        return False, e
    msgs = [rec.message for rec in r.logs]
    if msgs != ["Salut"] * 4:
        return False, f"expected the unikernel to log 'Salut' four times; it logged {msgs}."
    return True, "the boot argument --hello=Salut reached the unikernel through Mirage_runtime."


_check_exit_code = number_check(
    "answer with an integer exit code, not {kind}.",
    64,
    "64 is MirageOS's exit code for a bad boot argument (63 is for --help).",
    {63: "63 is the exit code of --help; try an option the unikernel does not know."},
    "run the unikernel with an unknown option and read result.exit_code.",
)


def _check_pick(r: Any) -> tuple[bool, str]:
    if (e := _need_run(r)) is not None:
        return False, e
    got = _log_pairs(r)
    want = [(1.0, "fast"), (1.0, "done")]
    if got != want:
        return False, (
            f"expected {want} as (virtual seconds, message): 'slow' is cancelled by Lwt.pick "
            f"and never logged; got {got}."
        )
    return True, "Lwt.pick returned with the first promise and cancelled the other one."


def _check_fix_functor(app: Any) -> tuple[bool, str]:
    if not _is_app(app):
        return False, f"expected what register(...) returns (an application), not {type(app).__name__}."
    if app.name != "reader":
        return False, f"the application is named {app.name!r}; it should be named 'reader'."
    text = str(app.describe())
    if "kv_ro" not in text:
        return False, "the job should take a kv_ro device (generic_kv_ro gives the --kv_ro key)."
    return True, 'main "Unikernel.Main" (kv_ro @-> job) applied to a kv_ro device type-checks.'


def _check_xl(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, f"answer with the path of the file, a str, not {type(answer).__name__}."
    if answer.strip() == "mirage/hello.xl":
        return True, "only `-t xen` writes the .xl file that the `xl create` command reads."
    if answer.strip().endswith(".xl.in"):
        return False, ".xl.in is the template; which file does `xl create` read?"
    return False, "configure for xen and for hvt, and look for the file only xen writes that ends in .xl."


_check_target_count = number_check(
    "answer with an integer, not {kind}.",
    3,
    "unix, solo5 and xen each have their Mirage_sleep; the target key picks one.",
    {},
    "{answer} is not it: count the Mirage_sleep boxes in the unevaluated graph.",
)


def _check_lottery(runs: Any) -> tuple[bool, str]:
    if not isinstance(runs, list | tuple) or not all(_is_run(r) for r in runs):
        return False, "expected a list of run results (one per run of the lottery)."
    if len(runs) < 3:
        return False, f"expected at least 3 runs (a reset, then two games); got {len(runs)}."
    first = [rec.message for rec in runs[0].logs]
    if not any("reset" in m for m in first):
        return False, f"the first run should reset the disk (--reset-all); it logged {first}."
    for i, r in enumerate(runs[1:], 2):
        msgs = [rec.message for rec in r.logs]
        if r.exit_code != 0 or any("bad magic" in m for m in msgs):
            return False, f"run {i} did not find the lottery data ({msgs}): pass the same disk to every run."
    return True, "the score lives in a sector of the disk, so it survives from one run to the next."


def _check_commands(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, list | tuple) or not all(isinstance(c, str) for c in answer):
        return False, "answer with a list of shell commands (strings), in the order you would type them."
    cmds = [_norm_cmd(c) for c in answer]
    configure = [c for c in cmds if c.startswith("mirage configure")]
    if not configure:
        return False, "the first step is `mirage configure` with the target option."
    if "-t hvt" not in configure[0] and "--target=hvt" not in configure[0] and "--target hvt" not in configure[0]:
        return False, f"{configure[0]!r} does not choose the hvt target (-t hvt)."
    rest = cmds[cmds.index(configure[0]) + 1 :]
    if rest in (["make"], ["make depend", "make build"], ["make depends", "make build"]):
        return True, "configure writes the Makefile; `make` runs `make depend` then `make build`."
    return False, f"after configure, expected `make` (or `make depend` then `make build`); got {rest}."


_EXERCISES = [
    Exercise(
        "00.unikernel",
        "Which is true of a MirageOS unikernel? (a) it runs many processes under a kernel; "
        "(b) it is one application linked with the OS libraries it needs, in one address space; "
        "(c) it needs a Linux distribution to boot.",
        _check_unikernel,
        ("Think of 'library operating system'.", "The network stack is an OCaml library linked into the app."),
        'answer = "b"',
        "a unikernel is a single-purpose image: the application plus the OS libraries it uses.",
    ),
    Exercise(
        "01.register",
        "Register an application named 'hello3' whose only job is main \"Unikernel\" of type job.",
        _check_register,
        ('main("Unikernel", job) makes the job.', "register(name, [job]) returns the application."),
        'from mirage_nb.mirage import *\nanswer = register("hello3", [main("Unikernel", job)])',
        "register takes the name and the list of jobs.",
    ),
    Exercise(
        "01.three_hi",
        "Write a unikernel that logs 'hi' three times, two seconds apart, run it and check the result.",
        _check_three_hi,
        (
            "Copy hello's start and change the loop count, the message and the sleep.",
            "Mirage_sleep.ns(Duration.of_sec(2)) sleeps two virtual seconds; sleep after logging.",
        ),
        "from mirage_nb.mirage import job, main, register\n"
        "from mirage_nb.unikernel import Duration, Logs, Mirage_sleep\n\n"
        "async def start():\n"
        "    for _ in range(3):\n"
        '        Logs.info("hi")\n'
        "        await Mirage_sleep.ns(Duration.of_sec(2))\n\n"
        'hi = register("hi", [main("Unikernel", job)])\n'
        'answer = hi.run(unikernel={"__name__": "hi", "start": start})',
        "the third 'hi' is logged at t=4 s; the last sleep then ends the run at 6 s.",
    ),
    Exercise(
        "02.salut",
        "Run the hello-key unikernel so that it says 'Salut'.",
        _check_salut,
        (
            "The unikernel reads the boot argument --hello; boot arguments go after -- in %mirage run.",
            'answer = %mirage run -f $config -- --hello=Salut  (or example("hello-key").run(argv=[...]))',
        ),
        'from mirage_nb.lab import example\nanswer = example("hello-key").run(argv=["--hello=Salut"])',
        "boot arguments are given to the run after -- (argv in Python).",
    ),
    Exercise(
        "02.exit_code",
        "With which exit code does a unikernel stop when given a boot option it does not know?",
        _check_exit_code,
        ("Run hello-key with a misspelt option: %mirage run -f $config -- --helo=x", "Read result.exit_code."),
        'from mirage_nb.lab import example\nanswer = example("hello-key").run(argv=["--helo=x"]).exit_code',
        "Mirage_runtime exits with 64 on a command-line error.",
    ),
    Exercise(
        "03.pick",
        "Race a 'fast' thread (1 s) against a 'slow' one (3 s) with Lwt.pick, then log 'done'.",
        _check_pick,
        (
            "Each thread is an async function: sleep, then Logs.info its name.",
            'await Lwt.pick([fast(), slow()]) then Logs.info("done").',
        ),
        "from mirage_nb.mirage import job, main, register\n"
        "from mirage_nb.unikernel import Duration, Logs, Lwt, Mirage_sleep\n\n"
        "async def fast():\n"
        "    await Mirage_sleep.ns(Duration.of_sec(1))\n"
        '    Logs.info("fast")\n\n'
        "async def slow():\n"
        "    await Mirage_sleep.ns(Duration.of_sec(3))\n"
        '    Logs.info("slow")\n\n'
        "async def start():\n"
        "    await Lwt.pick([fast(), slow()])\n"
        '    Logs.info("done")\n\n'
        'race = register("race", [main("Unikernel", job)])\n'
        'answer = race.run(unikernel={"__name__": "race", "start": start})',
        "pick resolves with the first promise to resolve and cancels the others.",
    ),
    Exercise(
        "04.fix_functor",
        'main("Unikernel.Main", kv_ro @ job) was applied to a block device. Fix the config: '
        "register 'reader' with the functor applied to generic_kv_ro(\"t\").",
        _check_fix_functor,
        ("The functor's argument must have the type before @ (kv_ro).", 'generic_kv_ro("t") is a kv_ro device.'),
        "from mirage_nb.mirage import *\n"
        'answer = register("reader", [main("Unikernel.Main", kv_ro @ job)(generic_kv_ro("t"))])',
        "a functor application is type-checked: kv_ro @-> job needs a kv_ro.",
    ),
    Exercise(
        "05.xl",
        "Which file does `mirage configure -t xen` write for hello that `-t hvt` does not, and that "
        "`xl create` reads? Answer with its path.",
        _check_xl,
        (
            'set(app.configure(target="xen")) - set(app.configure(target="hvt"))',
            "xl create reads a .xl file, not its .in template.",
        ),
        'answer = "mirage/hello.xl"',
        "the Xen toolstack's domain description is only generated for -t xen.",
    ),
    Exercise(
        "05.sleep_choices",
        "In the unevaluated graph of hello, how many Mirage_sleep implementations can the target choose from?",
        _check_target_count,
        ("describe --no-eval --dot keeps every 'If target' node.", "Count the boxes labelled Mirage_sleep."),
        "answer = 3",
        "Mirage_sleep has a unix, a solo5 and a xen implementation, chosen by the target key.",
    ),
    Exercise(
        "06.lottery",
        "Play disk-lottery on one disk: reset it, then play twice. Give the list of the three run results.",
        _check_lottery,
        (
            'A memory disk is a bytearray: example("disk-lottery").run(disks={"disk.img": disk}, argv=[...]).',
            'disk = disk_image(16); the first run takes argv=["--reset-all"].',
        ),
        "from mirage_nb.lab import disk_image, example\n"
        "disk = disk_image(16)\n"
        'lottery = example("disk-lottery")\n'
        'answer = [lottery.run(disks={"disk.img": disk}, argv=a, seed=s)\n'
        '          for s, a in enumerate([["--reset-all"], [], []])]',
        "the block device writes into the same bytearray, so the next run reads what the last one wrote.",
    ),
    Exercise(
        "07.commands",
        "List the shell commands that build the hello unikernel for Solo5 hvt, from its directory.",
        _check_commands,
        ("configure first, with the target.", "The generated Makefile's default goal fetches and builds."),
        'answer = ["mirage configure -t hvt", "make depend", "make build"]',
        "mirage configure writes the build files; make depend fetches libraries, make build builds dist/hello.hvt.",
    ),
]

EXERCISES: Mapping[str, Exercise] = MappingProxyType({e.name: e for e in _EXERCISES})
"""Every exercise of the tutorials, by name (``"<tutorial>.<topic>"``)."""


def _all_exercises() -> dict[str, Exercise]:
    # The network tutorials' exercises live beside the capture views they use (08-11, 12, 13-14).
    from mirage_nb.notebook.dns_dhcp_exercises import DNS_DHCP_EXERCISES
    from mirage_nb.notebook.http_exercises import HTTP_EXERCISES
    from mirage_nb.notebook.net_exercises import NET_EXERCISES

    return {**EXERCISES, **NET_EXERCISES, **HTTP_EXERCISES, **DNS_DHCP_EXERCISES}


def _unknown(name: object) -> str:
    known = list(_all_exercises())
    close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.6)
    if close:
        guess = " or ".join(repr(c) for c in close)
        return f"there is no exercise called {name!r}; did you mean {guess}?"
    return f"there is no exercise called {name!r}; the exercises are {', '.join(known)}"


def exercise(name: str) -> Exercise:
    """The exercise called ``name``; an :class:`ExerciseError` suggests the closest names otherwise."""
    found = _all_exercises().get(name) if isinstance(name, str) else None
    if found is None:
        raise ExerciseError(_unknown(name))
    return found


def check(name: str, answer: Any) -> Feedback | Notice:
    """Check ``answer`` to the exercise ``name``; says what was expected when it is not right yet."""
    try:
        ex = exercise(name)
    except ExerciseError as e:
        return Notice(str(name), str(e))
    return ex.check(answer)


def hint(name: str, number: int = 1) -> Hint | Notice:
    """Hint number ``number`` (from 1) of the exercise ``name``."""
    try:
        ex = exercise(name)
    except ExerciseError as e:
        return Notice(str(name), str(e))
    if not isinstance(number, int) or not 1 <= number <= len(ex.hints):
        return Notice(name, f"exercise {name} has hints 1 to {len(ex.hints)}, not {number!r}")
    return Hint(name, number, len(ex.hints), ex.hints[number - 1])


def solution(name: str) -> Solution | Notice:
    """The solution of the exercise ``name`` (code that binds ``answer``) and why it is right."""
    try:
        ex = exercise(name)
    except ExerciseError as e:
        return Notice(str(name), str(e))
    return Solution(name, ex.solution, ex.why)
