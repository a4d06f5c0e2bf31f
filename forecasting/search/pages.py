"""The search results page, /search/?q=: every kind's first results with its count, or one kind paginated."""
from django.shortcuts import render

from assets.paging import paginate
from forecasting.search.selectors import KINDS, search_everything

PREVIEW = 5  # rows per group on the all-kinds page
PAGE_SIZE = 20  # rows per page when one kind is shown

LABELS = {"questions": "Questions", "assets": "Assets", "trials": "Trials", "news": "News"}


def search_page(request):
    """``q`` the text; ``kind`` (questions, assets, trials or news) shows that group alone, paginated by ``page``.

    Two queries per group (count and rows) plus the assets' aliases: constant in the number of rows shown.
    """
    results = search_everything(text=request.GET.get("q", ""), user=request.user)
    kind = request.GET.get("kind")
    kinds = (kind,) if kind in KINDS else KINDS
    groups = []
    for name in kinds:
        queryset = results.group(name)
        if not results.words:
            groups.append({"kind": name, "label": LABELS[name], "count": 0, "rows": [], "page_obj": None})
            continue
        if len(kinds) == 1:
            page = paginate(request, queryset, per_page=PAGE_SIZE)
            groups.append({"kind": name, "label": LABELS[name], "count": page.paginator.count,
                           "rows": list(page.object_list), "page_obj": page})
        else:
            count = queryset.count()
            rows = list(queryset[:PREVIEW]) if count else []
            groups.append({"kind": name, "label": LABELS[name], "count": count, "rows": rows, "page_obj": None,
                           "more": count > PREVIEW})
    context = {
        "q": results.text,
        "kind": kind if kind in KINDS else "",
        "groups": groups,
        "searched": bool(results.words),
        "total": sum(g["count"] for g in groups),
    }
    return render(request, "search/results.html", context)
