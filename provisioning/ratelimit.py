"""Per-client fixed-window rate limits on public endpoints, shared by every process via the
DB. A client is its IPv4 address or its IPv6 /64."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import String, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from provisioning import timeutil
from provisioning.db import Base, session
from provisioning.errors import TooManyRequests


class RateLimitHit(Base):
    """How many requests one key (endpoint + client address or /64) made in one window."""

    __tablename__ = "rate_limit_hits"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int]


def bucket_address(ip: str) -> str:
    """What one bucket counts for client address ``ip``.

    An IPv4 address, also when a dual-stack listener wrote it IPv4-mapped (::ffff:a.b.c.d);
    for IPv6 the /64, since anyone given a /64 (the smallest usual assignment) can rotate
    through 2^64 addresses; anything else (a proxy's "unknown") as given, bounded.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64] or "-"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
    return str(address)


def hit(bucket: str, ip: str, *, limit: int, window_seconds: int) -> None:
    """Count one request of ``ip`` (grouped by bucket_address) on ``bucket``; raise
    TooManyRequests over ``limit``.

    The caller commits right away, so the count survives a request that later fails.
    """
    now = timeutil.now()
    epoch = int(now.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % window_seconds, tz=now.tzinfo)
    key = f"{bucket}:{bucket_address(ip)}"[:120]
    db = session()
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.execute(insert(RateLimitHit).values(key=key, window_start=start, count=0)
               .on_conflict_do_nothing())
    count = db.execute(
        update(RateLimitHit)
        .where(RateLimitHit.key == key, RateLimitHit.window_start == start)
        .values(count=RateLimitHit.count + 1)
        .returning(RateLimitHit.count)
    ).scalar_one()
    # Old windows are useless; sweep a few when a window starts.
    if count == 1:
        db.execute(delete(RateLimitHit).where(
            RateLimitHit.window_start < start - timedelta(seconds=window_seconds * 2)))
    if count > limit:
        raise TooManyRequests(
            "Demasiadas solicitudes desde su conexión. Espere un momento e intente de nuevo."
        )
