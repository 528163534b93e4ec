"""Fixed-window rate limits shared by every process via the DB: per client address on
public endpoints (an IPv4 address or an IPv6 /64), per client on the status API."""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from sqlalchemy import String, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from provisioning import timeutil
from provisioning.db import Base, session
from provisioning.errors import TooManyRequests


class RateLimitHit(Base):
    """How many requests one key (endpoint + client address or /64, or API client) made in
    one window."""

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


def hit(bucket: str, who: str, *, limit: int, window_seconds: int,
        message: str | None = None) -> None:
    """Count one request of ``who`` (an IP, a client id) on ``bucket``; over ``limit`` raise
    TooManyRequests with the seconds left in the window (for Retry-After).

    ``message`` may name ``{seconds}``. The caller commits right away, so the count survives
    a request that later fails.
    """
    now = timeutil.now()
    epoch = int(now.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % window_seconds, tz=now.tzinfo)
    key = f"{bucket}:{bucket_address(who)}"[:120]
    db = session()
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    # One statement: the window's row is created at 1 or counted up (both engines upsert).
    statement = insert(RateLimitHit).values(key=key, window_start=start, count=1)
    count = db.execute(statement.on_conflict_do_update(
        index_elements=[RateLimitHit.key, RateLimitHit.window_start],
        set_={"count": RateLimitHit.count + 1}).returning(RateLimitHit.count)).scalar_one()
    # Old windows are useless; sweep this bucket's when a window starts (only this bucket's:
    # another may count over a longer window).
    if count == 1:
        db.execute(delete(RateLimitHit).where(
            RateLimitHit.key.startswith(f"{bucket}:", autoescape=True),
            RateLimitHit.window_start < start - timedelta(seconds=window_seconds * 2)))
    if count > limit:
        seconds = max(1, math.ceil((start + timedelta(seconds=window_seconds)
                                    - now).total_seconds()))
        raise TooManyRequests(
            (message or "Demasiadas solicitudes desde su conexión. Espere {seconds} segundos e "
                        "intente de nuevo.").format(seconds=seconds),
            retry_after=seconds)
