"""Rate limits count the real client: behind trusted proxies the forwarded address, never a
forged X-Forwarded-For; an IPv6 client by its /64 (one subscriber's whole prefix)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from provisioning import db
from provisioning.web.ratelimit import RateLimitHit, bucket_address
from tests.support.web import Browser

PROXY = "10.0.0.1"


def tracking(app: Any, attempts: list[dict[str, Any]]) -> list[int]:
    """POST /seguimiento once per entry: {"addr": REMOTE_ADDR, "xff": X-Forwarded-For}."""
    browser = Browser(app.test_client())
    token = browser.token("/seguimiento")
    statuses = []
    for attempt in attempts:
        headers = {"X-Forwarded-For": attempt["xff"]} if "xff" in attempt else {}
        response = browser.client.post(
            "/seguimiento", data={"folio": "X", "code": "Y", "csrf_token": token},
            headers=headers, environ_base={"REMOTE_ADDR": attempt["addr"]})
        statuses.append(response.status_code)
    return statuses


def keys(app: Any) -> set[str]:
    with app.app_context():
        return set(db.session().scalars(select(RateLimitHit.key)))


def test_behind_a_trusted_proxy_the_bucket_is_the_forwarded_client(make_app) -> None:
    app = make_app(app={"trusted_proxies": 1}, rate_limit={"seguimiento": 3})
    # The attacker forges entries in front of the address the proxy appends: only the
    # proxy's own entry counts, so rotating them buys nothing.
    forged = [{"addr": PROXY, "xff": f"198.51.100.{i}, 203.0.113.7"} for i in range(5)]
    assert tracking(app, forged) == [404, 404, 404, 429, 429]
    # Everyone else comes through the same proxy and is not limited with the attacker.
    assert tracking(app, [{"addr": PROXY, "xff": "192.0.2.44"}]) == [404]
    assert keys(app) == {"seguimiento:203.0.113.7", "seguimiento:192.0.2.44"}


def test_without_trusted_proxies_x_forwarded_for_is_ignored(make_app) -> None:
    app = make_app(rate_limit={"seguimiento": 3})
    spoofed = [{"addr": "203.0.113.7", "xff": f"198.51.100.{i}"} for i in range(5)]
    assert tracking(app, spoofed) == [404, 404, 404, 429, 429]
    assert keys(app) == {"seguimiento:203.0.113.7"}


def test_ipv6_addresses_of_one_64_share_a_bucket(make_app) -> None:
    app = make_app(rate_limit={"seguimiento": 3})
    # Anyone with a /64 (the usual smallest assignment) has 2^64 addresses to rotate through.
    rotating = [{"addr": f"2001:db8:1:2:{i:x}:{i * 7919:x}::{i + 1:x}"} for i in range(5)]
    assert tracking(app, rotating) == [404, 404, 404, 429, 429]
    assert tracking(app, [{"addr": "2001:db8:1:3::1"}]) == [404]  # the neighbouring /64
    assert keys(app) == {"seguimiento:2001:db8:1:2::/64", "seguimiento:2001:db8:1:3::/64"}


def test_forwarded_ipv6_clients_are_grouped_by_64_too(make_app) -> None:
    app = make_app(app={"trusted_proxies": 1}, rate_limit={"seguimiento": 3})
    rotating = [{"addr": PROXY, "xff": f"2001:DB8:AA:BB::{i + 1:x}"} for i in range(4)]
    assert tracking(app, rotating) == [404, 404, 404, 429]
    assert keys(app) == {"seguimiento:2001:db8:aa:bb::/64"}


def test_an_ipv4_mapped_address_is_the_same_client_as_its_ipv4(make_app) -> None:
    # A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
    app = make_app(rate_limit={"seguimiento": 3})
    mixed = [{"addr": a} for a in ("198.51.100.7", "::ffff:198.51.100.7",
                                   "::FFFF:c633:6407", "198.51.100.7")]
    assert tracking(app, mixed) == [404, 404, 404, 429]
    assert keys(app) == {"seguimiento:198.51.100.7"}


def test_bucket_address_of_odd_input() -> None:
    assert bucket_address("198.51.100.7") == "198.51.100.7"
    assert bucket_address("::ffff:198.51.100.7") == "198.51.100.7"
    assert bucket_address("2001:db8::1") == "2001:db8::/64"
    assert bucket_address("fe80::1%eth0") == "fe80::/64"
    assert bucket_address("::1") == "::/64"
    # A proxy that is trusted but writes something else: kept as it is (and bounded).
    assert bucket_address("unknown") == "unknown"
    assert bucket_address("x" * 500) == "x" * 64
    assert bucket_address("") == "-"
