"""The access reviews' records for retention (``records.classes``): a campaign is kept 3 years
from its closure like the rest of the procedure's paperwork; then what names the people
reviewed goes (the account names of its items and the results signed at closing — their
SHA-256 stays) while dates, units, answers, counts, who answered and the signatures'
hashes stay as evidence. Each answer's hash covers the person's CURP and name, so the
person's CURP and names are kept while any campaign that reviewed them is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from provisioning.db import session
from provisioning.reviews.models import CERRADA, Campaign, ReviewItem, ReviewUnit

NAME = "revision"  # the record class name (Disposal.record_class); the report's document kind
LABEL = "Revisión de acceso"
# What replaces the results signed at closing once the campaign is disposed of.
DISPOSED_CONTENT = "{}"


def closed_before(moment: datetime) -> list[tuple[str, datetime, str]]:
    """Campaigns closed at or before ``moment``: (folio, closed at, status)."""
    return [(folio, at, status) for folio, at, status in session().execute(
        select(Campaign.folio, Campaign.closed_at, Campaign.status)
        .where(Campaign.status == CERRADA, Campaign.closed_at <= moment)
        .order_by(Campaign.closed_at, Campaign.id))]


def exists(folio: str, disposed: Any) -> bool:
    """Whether ``folio`` is a campaign not yet disposed of (``disposed``: a select of the
    disposed folios)."""
    return session().scalar(select(func.count()).select_from(Campaign).where(
        Campaign.folio == folio, Campaign.folio.not_in(disposed))) == 1


def ids_of(folios: list[str]) -> list[int]:
    """The primary keys of these campaigns (their issued reports are keyed by them)."""
    return list(session().scalars(select(Campaign.id).where(Campaign.folio.in_(folios))))


def _items_of(campaign_ids: list[int]) -> Any:
    return select(ReviewItem.id).join(ReviewUnit, ReviewUnit.id == ReviewItem.review_unit_id) \
        .where(ReviewUnit.campaign_id.in_(campaign_ids))


def forget(folios: list[str]) -> set[int]:
    """Blank what names the people reviewed by these campaigns: each item's account name
    (made of the person's names) and the results signed at closing (they list the account
    names); returns the people's ids."""
    ids = ids_of(folios)
    items = _items_of(ids)
    owners = set(session().scalars(select(ReviewItem.person_id).where(
        ReviewItem.id.in_(items))))
    session().execute(update(ReviewItem).where(ReviewItem.id.in_(items))
                      .values(sam_account_name="")
                      .execution_options(synchronize_session=False))
    session().execute(update(Campaign).where(Campaign.id.in_(ids))
                      .values(content=DISPOSED_CONTENT)
                      .execution_options(synchronize_session=False))
    return owners


def is_disposed(campaign: Campaign) -> bool:
    """Whether retention disposed of this campaign (its signed results are gone)."""
    return campaign.status == CERRADA and campaign.content == DISPOSED_CONTENT


def people_kept(person_ids: set[int], disposed: Any,
                ignoring: tuple[str, list[str]] | None = None) -> set[int]:
    """Those of ``person_ids`` reviewed by a campaign not yet disposed of (open ones too):
    their CURP and names are still needed. ``disposed(name)`` selects the disposed folios of
    a record class; ``ignoring``: records being disposed of in this run (not recorded yet)."""
    query = select(ReviewItem.person_id).join(
        ReviewUnit, ReviewUnit.id == ReviewItem.review_unit_id).join(
        Campaign, Campaign.id == ReviewUnit.campaign_id).where(
        ReviewItem.person_id.in_(person_ids), Campaign.folio.not_in(disposed(NAME)))
    if ignoring is not None and ignoring[0] == NAME:
        query = query.where(Campaign.folio.not_in(ignoring[1]))
    return set(session().scalars(query))
