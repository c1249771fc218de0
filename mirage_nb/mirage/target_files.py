"""What each target adds to ``mirage configure``: dune rules, install rules, and its own files.

Twin of mirage's ``lib/devices/target.ml`` and ``libvirt.ml``: the unix
executable; the solo5 and Xen executable, ``manifest.json`` (the devices
solo5 must hand to the unikernel) and ``manifest.ml``; Xen's ``.xl`` and
``.xl.in`` domain configurations; libvirt XML for Xen and virtio; the
unikraft dune context.

The manifest and the ``.xl`` files list the networks and block devices the
configure hooks of ``Netif`` and ``Block`` devices registered earlier in the
same run. MirageOS keeps that list in process globals; here it lives in the
run's state (``VirtualFS.state``, also reachable from the ``Info`` the hooks
get), so that two configure runs never mix their devices. Device modules
call :func:`register_network` and :func:`block_number`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import ConfigError
from mirage_nb.functoria.codegen._text import compact_list, rem_ext, stanza
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.install import Install
from mirage_nb.functoria.ocaml import quote
from mirage_nb.functoria.vfs import RUN_STATE, VirtualFS

from ._util import get_target
from .keys import Mode

__all__ = [
    "SUCCESS_MESSAGE",
    "Devices",
    "devices",
    "register_network",
    "block_number",
    "ocaml_string_hash",
    "out",
    "dune",
    "build_context",
    "context_name",
    "install",
    "configure",
    "manifest_json",
    "xl_text",
    "libvirt_xen_xml",
    "libvirt_virtio_xml",
]

SUCCESS_MESSAGE = (
    "Successfully configured the unikernel. Now run 'make' "
    "(or more fine-grained steps: 'make all', 'make depends', or 'make lock')."
)

#: The libvirt templates open some comments with a trailing space.
_OPEN_COMMENT = "<!-- "

#: Bridge stem of the ``.xl`` file. Mirage guesses it from the build host's
#: interfaces (``xenbr0``, ``br0``, ``virbr0``), falling back to ``br``; the
#: guess is not deterministic, so here it is ``br`` unless ``Info.extra``
#: gives ``xen_bridge``.
DEFAULT_BRIDGE = "br"

_STATE_KEY = "mirage.devices"


@dataclass
class Devices:
    """Networks and block devices registered during one configure run."""

    networks: list[str] = field(default_factory=list)  # most recent first, as mirage's list
    blocks: dict[str, int] = field(default_factory=dict)  # file name -> number (0 is the boot disk)
    next_block: int = 1


def devices(where: Info | VirtualFS | dict[str, Any]) -> Devices:
    """The registry of the current run, from the ``Info`` or the file system a hook received."""
    state: dict[str, Any] | None
    if isinstance(where, VirtualFS):
        state = where.state
    elif isinstance(where, Info):
        state = where.extra.get(RUN_STATE)
        if state is None:
            raise ConfigError(
                "no configure run in progress: networks and block devices are registered "
                "only while configure or query runs (Info.extra has no run state)"
            )
    else:
        state = where
    assert state is not None
    reg = state.get(_STATE_KEY)
    if reg is None:
        reg = state[_STATE_KEY] = Devices()
    return reg


def register_network(where: Info | VirtualFS, name: str) -> None:
    """Netif's configure hook: this network goes in the solo5 manifest and the Xen ``vif`` list."""
    devices(where).networks.insert(0, name)


def block_number(where: Info | VirtualFS, filename: str) -> int:
    """Block's ``make_block_t``: the number of a block device, given in registration order from 1."""
    reg = devices(where)
    n = reg.blocks.get(filename)
    if n is None:
        n = reg.blocks[filename] = reg.next_block
        reg.next_block += 1
    return n


_M32 = 0xFFFFFFFF


def _rotl32(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _M32


def _mix(h: int, d: int) -> int:
    d = (d * 0xCC9E2D51) & _M32
    d = _rotl32(d, 15)
    d = (d * 0x1B873593) & _M32
    h ^= d
    h = _rotl32(h, 13)
    return (h * 5 + 0xE6546B64) & _M32


def ocaml_string_hash(s: str) -> int:
    """OCaml's ``Hashtbl.hash`` of a string (MurmurHash3 mixing of its bytes, as the runtime does)."""
    b = s.encode("utf-8", "surrogateescape")
    h = 0
    n = len(b) - len(b) % 4
    for i in range(0, n, 4):
        h = _mix(h, int.from_bytes(b[i : i + 4], "little"))
    if len(b) % 4:
        h = _mix(h, int.from_bytes(b[n:], "little"))
    h ^= len(b)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    h ^= h >> 16
    return h & 0x3FFFFFFF


def _blocks_in_table_order(reg: Devices) -> list[tuple[str, int]]:
    """The blocks in the order mirage lists them: a fold over its OCaml ``Hashtbl``.

    ``Hashtbl.create 7`` has 16 buckets (doubling past two entries a bucket);
    ``add`` puts a key at the head of its bucket; ``fold`` walks the buckets
    in index order and mirage conses each key onto its list, so the list
    comes out reversed.
    """
    names = sorted(reg.blocks, key=lambda f: reg.blocks[f])  # insertion order
    size = 16  # Hashtbl.create rounds up to a power of two, at least 16
    while len(names) > 2 * size:
        size *= 2
    buckets: list[list[str]] = [[] for _ in range(size)]
    for f in names:
        buckets[ocaml_string_hash(f) & (size - 1)].insert(0, f)
    walked = [f for bucket in buckets for f in bucket]
    return [(f, reg.blocks[f]) for f in reversed(walked)]


# -- names ---------------------------------------------------------------------------------

_SOLO5_EXT = {
    Mode.VIRTIO: ".virtio",
    Mode.MUEN: ".muen",
    Mode.HVT: ".hvt",
    Mode.GENODE: ".genode",
    Mode.SPT: ".spt",
    Mode.XEN: ".xen",
    Mode.QUBES: ".xen",
}
_UNIKRAFT_EXT = {Mode.FIRECRACKER: ".fc", Mode.QEMU: ".qemu"}
_UNIKRAFT_ABI = {Mode.FIRECRACKER: "firecracker", Mode.QEMU: "qemu"}


def _public_name(info: Info) -> str:
    return info.output if info.output is not None else info.name


def _main(info: Info) -> str:
    return rem_ext(info.main)


def _config_module(info: Info) -> str:
    import posixpath

    return rem_ext(posixpath.basename(info.config_file))


def out(info: Info) -> str:
    """The file the build produces: ``<name>`` on unix, ``<name>.hvt``, ``<name>.xen``, ``<name>.qemu``..."""
    mode = get_target(info)
    if mode.group == "unix":
        return _public_name(info)
    if mode.group == "unikraft":
        return _public_name(info) + _UNIKRAFT_EXT[mode]
    return _public_name(info) + _SOLO5_EXT[mode]


def context_name(info: Info) -> str:
    """The dune context the unikernel builds in."""
    return {"unix": "default", "unikraft": "unikraft"}.get(get_target(info).group, "solo5")


def _flags() -> list[str]:
    # Warning 70 (missing mli) off: only .ml files are generated. The real
    # tool adds "-color always" on a terminal; generated files here never do.
    return [":standard", "-w", "-70"]


# -- dune -------------------------------------------------------------------------------------


def _rename(info: Info) -> str:
    m = _main(info)
    return stanza(
        f"""
(rule
 (target {out(info)})
 (enabled_if (= %{{context_name}} "{context_name(info)}"))
 (deps {m}.exe)
 (action
  (copy {m}.exe %{{target}})))
"""
    )


def _unix_dune(info: Info) -> list[str]:
    m = _main(info)
    public = _public_name(info)
    return [
        stanza(
            f"""
(rule
 (target {public})
 (enabled_if (= %{{context_name}} "default"))
 (deps {m}.exe)
 (action
  (copy {m}.exe %{{target}})))

(executable
 (name {m})
 (libraries {compact_list("libraries", info.libraries())})
 (link_flags (-thread))
 (modules (:standard \\ {_config_module(info)}))
 (flags {compact_list("flags", _flags())})
 (enabled_if (= %{{context_name}} "default"))
)
"""
        )
    ]


def _solo5_abi(mode: Mode) -> str:
    return "xen" if mode.group == "xen" else mode.value


def _solo5_dune(info: Info) -> list[str]:
    mode = get_target(info)
    main = stanza(
        f"""
(executable
 (enabled_if (= %{{context_name}} "{context_name(info)}"))
 (name {_main(info)})
 (modes (native exe))
 (libraries {compact_list("libraries", info.libraries())})
 (link_flags {compact_list("link_flags", _flags())} -cclib "-z solo5-abi={_solo5_abi(mode)}")
 (modules (:standard \\ {_config_module(info)} manifest))
 (foreign_stubs (language c) (names manifest))
)
"""
    )
    manifest = stanza(
        """
(rule
 (targets manifest.c)
 (deps manifest.json)
 (action
  (run solo5-elftool gen-manifest manifest.json manifest.c)))
"""
    )
    return [main, manifest, _rename(info)]


def _unikraft_dune(info: Info) -> list[str]:
    main = stanza(
        f"""
(executable
 (enabled_if
  (= %{{context_name}} "{context_name(info)}"))
 (name {_main(info)})
 (modes
  (native exe))
 (libraries {compact_list("libraries", info.libraries())})
 (link_flags {compact_list("link_flags", _flags())}))
"""
    )
    return [main, _rename(info)]


def dune(info: Info) -> list[str]:
    """The target's dune stanzas: the executable and the rule copying it to :func:`out`."""
    group = get_target(info).group
    if group == "unix":
        return _unix_dune(info)
    if group == "unikraft":
        return _unikraft_dune(info)
    return _solo5_dune(info)


def build_context(info: Info) -> list[str]:
    """Extra ``dune-workspace`` contexts: the solo5 or unikraft cross-compilation toolchain."""
    mode = get_target(info)
    if mode.group == "unix":
        return []
    if mode.group == "unikraft":
        abi = _UNIKRAFT_ABI[mode]
        return [
            stanza(
                f"""
(context
 (default
  (name {context_name(info)})
  (host default)
  (toolchain unikraft)
  (env
   (_
    (flags :standard -cclib "-z unikraft-backend={abi}")
    (c_flags :standard -z unikraft-backend={abi})))
  (merlin)
  (disable_dynamically_linked_foreign_archives true)))
"""
            )
        ]
    return [
        stanza(
            f"""
  (context (default
  (name {context_name(info)})
  (host default)
  (toolchain solo5)
  (merlin)
  (disable_dynamically_linked_foreign_archives true)
  ))
  """
        )
    ]


def install(info: Info) -> Install:
    """What ``dist/`` gets: the unikernel, and for Xen its two ``.xl`` files."""
    o = out(info)
    etc: tuple[str, ...] = ()
    if get_target(info) is Mode.XEN:
        etc = (f"{info.name}.xl", f"{info.name}.xl.in")
    return Install(bin=((o, o),), etc=etc)


# -- configure-time files ---------------------------------------------------------------------


def manifest_json(networks: list[str], blocks: list[str]) -> str:
    """The solo5 application manifest listing the devices the tender must provide."""
    devs = [f'{{ "name": {quote(n)}, "type": "NET_BASIC" }}' for n in networks]
    devs += [f'{{ "name": {quote(b)}, "type": "BLOCK_BASIC" }}' for b in blocks]
    return f'{{\n  "type": "solo5.manifest",\n  "version": 1,\n  "devices": [ {", ".join(devs)} ]\n}}\n'


def _int26(x: int) -> str:
    """Linux's name for the n-th Xen disk: 0 → a, 25 → z, 26 → aa."""
    high, low = x // 26 - 1, x % 26 + 1
    return ("" if high == -1 else _int26(high)) + chr(low + ord("a") - 1)


def xl_text(info: Info, *, substitute: bool) -> str:
    """``<name>.xl`` (``substitute=True``: values filled in) or ``<name>.xl.in`` (``@PLACEHOLDERS@``)."""
    reg = devices(info)
    bridge = str(info.extra.get("xen_bridge", DEFAULT_BRIDGE))
    blocks = _blocks_in_table_order(reg)
    if substitute:
        name, kernel, memory = info.name, info.name + ".xen", "256"

        def block_path(f: str) -> str:
            return f

        def net_bridge(n: str) -> str:
            return f"{bridge}{reg.networks.index(n)}"
    else:
        name, kernel, memory = "@NAME@", "@KERNEL@", "@MEMORY@"

        def block_path(f: str) -> str:
            return f"@BLOCK:{f}@"

        def net_bridge(n: str) -> str:
            return f"@NETWORK:{n}@"

    disks = ", ".join(f"'format=raw, vdev=xvd{_int26(num)}, access=rw, target={block_path(f)}'" for f, num in blocks)
    vifs = ", ".join(f"'bridge={net_bridge(n)}'" for n in reg.networks)
    return (
        f"name = '{name}'\n"
        f"kernel = '{kernel}'\n"
        "type = 'pvh'\n"
        f"memory = {memory}\n"
        "on_crash = 'preserve'\n"
        "\n"
        f"disk = [ {disks} ]\n"
        "\n"
        "# if your system uses openvswitch then either edit /etc/xen/xl.conf and set\n"
        '#     vif.default.script="vif-openvswitch"\n'
        '# or add "script=vif-openvswitch," before the "bridge=" below:\n'
        f"vif = [ {vifs} ]\n"
    )


def libvirt_xen_xml(name: str) -> str:
    """The libvirt domain for Xen (networks and disks left for the user to add)."""
    return f"""<domain type='xen'>
    <name>{name}</name>
    <memory unit='KiB'>262144</memory>
    <currentMemory unit='KiB'>262144</currentMemory>
    <vcpu placement='static'>1</vcpu>
    <os>
        <type arch='armv7l' machine='xenpv'>linux</type>
        <kernel>{name}.xen</kernel>
        <cmdline> </cmdline>
    </os>
    <clock offset='utc' adjustment='reset'/>
    <on_crash>preserve</on_crash>
    {_OPEN_COMMENT}
    You must define network and block interfaces manually.
    See http://libvirt.org/drvxen.html for information about converting .xl-files to libvirt xml automatically.
    -->
    <devices>
        <!--
        The disk configuration is defined here:
        http://libvirt.org/formatstorage.html.
        An example would look like:
         <disk type='block' device='disk'>
            <driver name='phy'/>
            <source dev='/dev/loop0'/>
            <target dev='' bus='xen'/>
        </disk>
        -->
        {_OPEN_COMMENT}
        The network configuration is defined here:
        http://libvirt.org/formatnetwork.html
        An example would look like:
        <interface type='bridge'>
            <mac address='c0:ff:ee:c0:ff:ee'/>
            <source bridge='br0'/>
        </interface>
        -->
        <console type='pty'>
            <target type='xen' port='0'/>
        </console>
    </devices>
</domain>
"""


def libvirt_virtio_xml(name: str) -> str:
    """The libvirt domain for a virtio unikernel under KVM."""
    return f"""<domain type='kvm'>
    <name>{name}</name>
    <memory unit='KiB'>262144</memory>
    <currentMemory unit='KiB'>262144</currentMemory>
    <vcpu placement='static'>1</vcpu>
    <os>
        <type arch='x86_64' machine='pc'>hvm</type>
        <kernel>{name}.virtio</kernel>
        <!-- Command line arguments can be given if required:
        <cmdline>-l *:debug</cmdline>
        -->
    </os>
    <clock offset='utc' adjustment='reset'/>
    <devices>
        <emulator>/usr/bin/qemu-system-x86_64</emulator>
        <!--
        Disk/block configuration reference is here:
        https://libvirt.org/formatdomain.html#elementsDisks
        This example uses a raw file on the host as a block in the guest:
        <disk type='file' device='disk'>
            <driver name='qemu' type='raw'/>
            <source file='/var/lib/libvirt/images/{name}.img'/>
            <target dev='vda' bus='virtio'/>
        </disk>
        -->
        {_OPEN_COMMENT}
        Network configuration reference is here:
        https://libvirt.org/formatdomain.html#elementsNICS
        This example adds a device in the 'default' libvirt bridge:
        <interface type='bridge'>
            <source bridge='virbr0'/>
            <model type='virtio'/>
            <alias name='0'/>
        </interface>
        -->
        <serial type='pty'>
            <target port='0'/>
        </serial>
        <console type='pty'>
            <target type='serial' port='0'/>
        </console>
        <memballoon model='none'/>
    </devices>
</domain>
"""


def configure(info: Info, fs: VirtualFS) -> None:
    """The root device's configure hook: the target's files, then the success message (once a run).

    ``fs`` is rooted at the project directory (``mirage/``).
    """
    mode = get_target(info)
    if mode.group in ("solo5", "xen"):
        reg = devices(fs)
        with_devices = mode.group == "solo5"
        nets = reg.networks if with_devices else []
        blocks = [f for f, _ in _blocks_in_table_order(reg)] if with_devices else []
        fs.write("manifest.json", manifest_json(nets, blocks))
        fs.write("manifest.ml", "")
        if mode is Mode.XEN:
            run_info = _with_state(info, fs)
            fs.write(f"{info.name}.xl", xl_text(run_info, substitute=True))
            fs.write(f"{info.name}.xl.in", xl_text(run_info, substitute=False))
            fs.write(f"{info.name}_libvirt.xml", libvirt_xen_xml(info.name))
        elif mode is Mode.VIRTIO:
            fs.write(f"{info.name}_libvirt.xml", libvirt_virtio_xml(info.name))
    fs.message_once("mirage.configured", SUCCESS_MESSAGE)


def _with_state(info: Info, fs: VirtualFS) -> Info:
    if info.extra.get(RUN_STATE) is fs.state:
        return info
    from dataclasses import replace

    return replace(info, extra={**info.extra, RUN_STATE: fs.state})
