"""Targets: what each backend adds to a unikernel (twin of mirage's ``lib/devices/target.ml``).

The packages of each target family, its dune context, output file, install
rules and configure-time artefacts (solo5 manifests, Xen ``.xl`` files,
libvirt XML).
"""

from __future__ import annotations

from mirage_nb.functoria.package import Package, package

from .keys import Mode

__all__ = ["packages"]


def packages(mode: Mode) -> list[Package]:
    """The packages a target needs (``Target.packages``), before the common ones."""
    match mode.group:
        case "unix":
            return [package("mirage-unix", min="5.0.0", max="6.0.0")]
        case "solo5" | "xen":
            build = [
                package("ocaml-solo5", min="0.8.2", max="2.0.0", scope="switch", build=True),
                package("solo5", min="0.7.5", max="0.13.0", scope="switch", build=True),
            ]
            if mode.group == "solo5":
                return build + [package("mirage-solo5", min="0.10.0", max="0.11.0")]
            return build + [package("mirage-xen", min="9.0.0", max="10.0.0")]
        case _:
            backend = "firecracker" if mode is Mode.FIRECRACKER else "qemu"
            return [
                package("ocaml-unikraft", min="1.0.0", max="2.0.0", scope="switch", build=True),
                package("mirage-unikraft", min="1.0.0", max="2.0.0"),
                package(f"ocaml-unikraft-backend-{backend}", scope="switch", build=True),
            ]
