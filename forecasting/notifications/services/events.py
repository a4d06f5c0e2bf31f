"""Comments, news and readouts: who is told, in one job per event (docs/notifications.md)."""
from __future__ import annotations

from django.db.models import Q

from assets.models import Asset, NewsItem, Readout, Trial
from forecasting.discussion.models import Comment
from forecasting.notifications.models import Kind
from forecasting.notifications.services.audience import (
    question_audiences,
    question_left,
    trial_asset_audience,
    trial_left,
)
from forecasting.notifications.services.delivery import Item, notifications_deliver
from forecasting.resolution.models import ProposedResolution
from markets.models import Question

EXCERPT = 500


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _name(user) -> str:
    profile = getattr(user, "profile", None)
    return getattr(profile, "display_name", "") or user.get_username()


def comment_notify(*, comment_id: int) -> int:
    """A new comment or reply: followers of its question (with the question's trial and asset) or trial (with the
    trial's assets), followers of its author, and always the author of the comment it replies to (unless they
    turned comment notifications off). Never its own author; nothing for a comment deleted or hidden before the job
    ran. Returns e-mails sent now."""
    comment = (Comment.objects.select_related("author__profile", "question", "trial", "parent")
               .filter(pk=comment_id, deleted_at__isnull=True, hidden_at__isnull=True).first())
    if comment is None:
        return 0
    author = _name(comment.author)
    if comment.question_id:
        question = comment.question
        audience = question_audiences([question])[question.pk]
        audience |= trial_asset_audience(user_ids=[comment.author_id]) - question_left([question.pk])[question.pk]
        target, link = question.title, question.get_absolute_url()
        refs = {"question_id": question.pk, "trial_id": question.trial_id, "asset_id": question.asset_id}
    else:
        trial = comment.trial
        asset_ids = list(trial.assets.values_list("pk", flat=True))
        audience = trial_asset_audience(trial_ids=[trial.pk], asset_ids=asset_ids, user_ids=[comment.author_id])
        audience -= trial_left(trial.pk)
        target, link = trial.name, trial.get_absolute_url()
        refs = {"trial_id": trial.pk}
    link = f"{link}#comment-{comment.pk}"
    items = []
    parent_author = comment.parent.author_id if comment.parent_id else None
    for user_id in sorted(audience | ({parent_author} if parent_author else set())):
        if user_id == parent_author:
            title = f"{author} replied to your comment on {target}"
        elif comment.parent_id:
            title = f"{author} replied in the discussion of {target}"
        else:
            title = f"{author} commented on {target}"
        items.append(Item(user_id=user_id, kind=Kind.COMMENT, dedupe_key=f"comment:{comment.pk}", title=title,
                          text=_excerpt(comment.body), link=link, actor_id=comment.author_id, **refs))
    return notifications_deliver(items)


def news_notify(*, news_id: int) -> int:
    """A news item was published: followers of the trials and assets it is about. Returns e-mails sent now."""
    item = NewsItem.objects.filter(pk=news_id).first()
    if item is None:
        return 0
    trials = list(Trial.objects.filter(news=item).only("pk", "slug", "acronym", "registry_id", "title"))
    assets = list(Asset.objects.filter(Q(news=item) | Q(trials__news=item)).distinct().only("pk", "slug", "name"))
    audience = trial_asset_audience(trial_ids=[t.pk for t in trials], asset_ids=[a.pk for a in assets])
    if not audience:
        return 0
    about = trials[0] if trials else (assets[0] if assets else None)
    label = ", ".join([t.name for t in trials] + [a.name for a in assets][:3]) or "something you follow"
    title = f"News on {label}: {item.title or _excerpt(item.body, 120)}"
    link = about.get_absolute_url() if about else ""
    items = [
        Item(user_id=user_id, kind=Kind.NEWS, dedupe_key=f"news:{item.pk}", title=title,
             text=_excerpt(item.body) + (f"\nSource: {item.source}" if item.source else ""), link=link,
             trial_id=trials[0].pk if trials else None, asset_id=assets[0].pk if assets else None)
        for user_id in sorted(audience)
    ]
    return notifications_deliver(items)


def readout_notify(*, readout_id: int) -> int:
    """A readout was entered: followers of the questions it answers (with their trials and assets) and of its trial,
    one notification each listing the questions. Never its author. Returns e-mails sent now."""
    readout = Readout.objects.select_related("trial", "endpoint").filter(pk=readout_id).first()
    if readout is None:
        return 0
    question_ids = ProposedResolution.objects.filter(readout=readout).values_list("question_id", flat=True)
    questions = list(Question.objects.filter(pk__in=question_ids).order_by("pk"))
    audiences = question_audiences(questions)
    trial_audience = trial_asset_audience(trial_ids=[readout.trial_id]) - trial_left(readout.trial_id)
    answers: dict[int, list[Question]] = {}
    for q in questions:
        for user_id in audiences[q.pk]:
            answers.setdefault(user_id, []).append(q)
    for user_id in trial_audience:
        answers.setdefault(user_id, [])
    value = f"{readout.get_metric_display()} {readout.value:g}"
    if readout.ci_lower is not None and readout.ci_upper is not None:
        value += f" (95% CI {readout.ci_lower:g} to {readout.ci_upper:g})"
    title = f"Readout: {readout.trial.name} {readout.endpoint.code}, {value}"
    items = []
    for user_id, qs in sorted(answers.items()):
        lines = [f"Source: {readout.source}."]
        if qs:
            lines.append("It answers questions you follow (resolution to be confirmed by staff):")
            lines += [f"- {q.title}" for q in qs]
        items.append(Item(user_id=user_id, kind=Kind.READOUT, dedupe_key=f"readout:{readout.pk}", title=title,
                          text="\n".join(lines), link=qs[0].get_absolute_url() if len(qs) == 1 else
                          readout.trial.get_absolute_url(), trial_id=readout.trial_id,
                          question_id=qs[0].pk if len(qs) == 1 else None, actor_id=readout.created_by_id))
    return notifications_deliver(items)
