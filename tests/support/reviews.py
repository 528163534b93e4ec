"""Helpers of the access review tests: opening a campaign through its page and reading
what it wrote."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from provisioning import db, timeutil
from provisioning.reviews.models import Campaign, ReviewItem, ReviewUnit
from tests.support.handoff_flow import Scene, values


def open_campaign(scene: Scene, units: list[str], *, days: int = 10, **changes: str) -> Any:
    """IT opens a campaign of these units (deadline in ``days``) through /revisiones."""
    form = {"alcance": "elegidas", "unidad": units,
            "fecha_limite": timeutil.format_date(timeutil.local_today()
                                                 + timedelta(days=days)),
            "recurrencia_meses": "6", "dias_recordatorio": "7,2", **changes}
    return scene.post("it.dept", "/revisiones", form)


def campaigns() -> list[Campaign]:
    return values(lambda: list(db.session().scalars(select(Campaign).order_by(Campaign.id))))


def units_of(campaign_id: int) -> dict[str, ReviewUnit]:
    return values(lambda: {u.unit_clues: u for u in db.session().scalars(
        select(ReviewUnit).where(ReviewUnit.campaign_id == campaign_id))})


def items_of(review_unit_id: int) -> list[ReviewItem]:
    return values(lambda: list(db.session().scalars(select(ReviewItem).where(
        ReviewItem.review_unit_id == review_unit_id).order_by(ReviewItem.id))))
