"""Long lists a page at a time, with the filters kept in the page links."""

from __future__ import annotations

from django.core.paginator import Page, Paginator


def paged(request, items, per_page: int) -> tuple[Page, str]:
    """The requested page of `items`, and the request's query without `page` for the
    links. A page number that is none gives the nearest page (page=abc the first,
    page=99999 the last), never an error."""
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    return page, query_without(request, "page")


def query_without(request, *names: str) -> str:
    """The request's query string less `names`: the other filters, for a link that
    changes these."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()
