"""Reading the region tree as it was in a given period."""

from django.db.models import Q, QuerySet

from shequ.core.periods import PeriodCode
from shequ.regions.levels import Level
from shequ.regions.models import Region, RegionVersion


def _covering(ordinal: int) -> Q:
    return Q(valid_from__lte=ordinal) & (Q(valid_to__isnull=True) | Q(valid_to__gt=ordinal))


def version_as_of(region: Region, period: PeriodCode) -> RegionVersion | None:
    """The state of `region` in `period`, or None if it did not exist then."""
    return region.versions.filter(_covering(period.ordinal)).first()


def versions_as_of(
    period: PeriodCode, *, within: Region | None = None, level: str | None = None
) -> QuerySet[RegionVersion]:
    """Every region that existed in `period` (below `within`, as the tree stood then)."""
    versions = RegionVersion.objects.filter(_covering(period.ordinal))
    if within is not None:
        then = version_as_of(within, period)
        if then is None:
            return versions.none()
        versions = versions.filter(path__startswith=then.path)
    if level is not None:
        versions = versions.filter(region__level=level)
    return versions.select_related("region")


def communities_as_of(period: PeriodCode, *, within: Region | None = None):
    return versions_as_of(period, within=within, level=Level.COMMUNITY)


def existed_in(region: Region, period: PeriodCode) -> bool:
    ordinal = period.ordinal
    return region.valid_from <= ordinal and (region.valid_to is None or region.valid_to > ordinal)
