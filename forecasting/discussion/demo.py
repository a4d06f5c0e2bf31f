"""Demo discussion: a few threads on the demo's open questions and on a trial, one with an attached forecast and a
reply, so the discussion section is not empty on a fresh `make run`. Idempotent: a question or trial that already
has comments is left alone."""
import datetime as dt

from django.utils import timezone

from forecasting.discussion.models import Comment
from forecasting.discussion.services import comment_create
from forecasting.forecasts.models import ForecasterQuestion

THREADS = [
    (("The topline said the primary endpoint was met 'with a clinically meaningful improvement'. Sponsors say "
      "that even for modest effects, so I am staying near the base rate for **HR < 0.7**."),
     ["Carfilzomib backbones have produced deep effects before, though: *see* the IKEMA and CANDOR curves.",
      "Fair, but the control arm here is stronger than in those trials."]),
    (("Worth reading the [ClinicalTrials.gov record](https://clinicaltrials.gov/) for the amended enrollment: "
      "the event count at the interim matters more than the headline."), []),
]


def discussion_demo_load(questions, users) -> list[str]:
    lines = []
    if len(users) < 3:
        return lines
    now = timezone.now()
    for question in [q for q in questions if q.status == "open"][:2]:
        if Comment.objects.filter(question=question).exists():
            continue
        added = 0
        for i, (body, replies) in enumerate(THREADS):
            author = users[i % len(users)]
            mine = ForecasterQuestion.objects.filter(question=question, user=author).select_related("current").first()
            forecast = mine.current.pk if mine and mine.current and not mine.current.is_withdrawal else None
            top = comment_create(author=author, question=question, body=body, forecast=forecast,
                                 at=now - dt.timedelta(days=3 - i))
            added += 1
            for j, reply in enumerate(replies):
                comment_create(author=users[(i + j + 1) % len(users)], parent=top, body=reply,
                               at=now - dt.timedelta(days=2 - i, hours=-j))
                added += 1
        lines.append(f"discussion: {added} comments on {question.slug}")
    trial = next((q.trial for q in questions if q.trial_id), None)
    if trial is not None and not Comment.objects.filter(trial=trial).exists():
        comment_create(author=users[1], trial=trial, body="Primary completion moved to ACTUAL last week; results "
                       "should follow at the next major meeting.", at=now - dt.timedelta(days=1))
        lines.append(f"discussion: 1 comment on trial {trial}")
    return lines
