"""The client's address, believing X-Forwarded-For only from configured trusted proxies."""

from __future__ import annotations

import ipaddress

from flask import current_app, request


def _is_trusted(address: str, trusted) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address() -> str | None:
    """Walk X-Forwarded-For from the right while the hop is a trusted proxy."""
    address = request.remote_addr
    trusted = current_app.config.get("TRUSTED_PROXIES") or ()
    if not address or not _is_trusted(address, trusted):
        return address
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([a for a in forwarded if a]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address
        address = hop
        if not _is_trusted(hop, trusted):
            break
    return address
