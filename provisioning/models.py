"""Every model module, imported so Base.metadata describes the whole schema (Alembic)."""

from provisioning.account_requests import models as account_requests  # noqa: F401
from provisioning.api import models as api  # noqa: F401
from provisioning.approvals import models as approvals  # noqa: F401
from provisioning.audit import models as audit  # noqa: F401
from provisioning.catalogs import models as catalogs  # noqa: F401
from provisioning.counters import Counter  # noqa: F401
from provisioning.documents import models as documents  # noqa: F401
from provisioning.handoff import models as handoff  # noqa: F401
from provisioning.it import models as it  # noqa: F401
from provisioning.jobs import models as jobs  # noqa: F401
from provisioning.lifecycle import models as lifecycle  # noqa: F401
from provisioning.notifications import models as notifications  # noqa: F401
from provisioning.oficios import models as oficios  # noqa: F401
from provisioning.people import accounts as people_accounts  # noqa: F401
from provisioning.people import models as people  # noqa: F401
from provisioning.preregistration import models as preregistration  # noqa: F401
from provisioning.privacy import models as privacy  # noqa: F401
from provisioning.reconciliation import models as reconciliation  # noqa: F401
from provisioning.retention import models as retention  # noqa: F401
from provisioning.reviews import models as reviews  # noqa: F401
from provisioning.roster import models as roster  # noqa: F401
from provisioning.staff import models as staff  # noqa: F401
from provisioning.web.ratelimit import RateLimitHit  # noqa: F401
