"""Twin of the skeleton's dhcp_config.ml: what the DHCP server hands out, and from where."""

import ipaddress

from mirage_nb.unikernel import Dhcp_wire

hostname = "charrua-dhcp-server"
default_lease_time = 60 * 60 * 1  # one hour
max_lease_time = 60 * 60 * 24  # a day
ip_address = ipaddress.IPv4Address("192.168.1.5")
network = ipaddress.IPv4Interface("192.168.1.5/24")
range = (ipaddress.IPv4Address("192.168.1.70"), ipaddress.IPv4Address("192.168.1.100"))  # noqa: A001

# The options every client is offered (when it asks for them).
options = [
    Dhcp_wire.Routers("192.168.1.5"),
    Dhcp_wire.Dns_servers("192.168.1.5"),
    Dhcp_wire.Domain_name("pampas"),
]

# Fixed addresses for known MACs (none here).
hosts = []
