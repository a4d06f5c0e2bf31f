"""Pagination for list pages (assets, questions, leaderboards, profiles), shaped for templates/includes/pagination.html."""
from django.core.paginator import Page, Paginator

PAGE_SIZE = 25


def paginate(request, object_list, *, per_page: int = PAGE_SIZE) -> Page:
    """The page of ``object_list`` named by ``?page=`` (the last page if too high, the first if not a number).

    The returned page carries ``elided_range`` (1 … 4 5 6 … 20) for ``templates/includes/pagination.html``.
    """
    paginator = Paginator(object_list, per_page)
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page
