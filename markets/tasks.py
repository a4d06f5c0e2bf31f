from celery import shared_task

from markets.services import questions_close_due


@shared_task(acks_late=True)
def close_due_questions() -> int:
    """Periodic (celery-beat): close questions past their scheduled close time. Safe to run any number of times."""
    return questions_close_due()


@shared_task(acks_late=True)
def settle_question_market(question_id: int) -> str:
    """Settle (resolved) or refund (annulled) the market of a question. Idempotent: a settled or refunded market is
    left alone and every payment has a unique ledger key, so a retried or duplicated task never pays twice."""
    from markets.models import Question
    from markets.services import market_refund, market_settle

    question = Question.objects.get(pk=question_id)
    if question.status == Question.Status.ANNULLED:
        market = market_refund(question=question)
    else:
        market = market_settle(question=question)
    return "no market" if market is None else market.status
