"""Demo forecasts on the multiple-choice demo question (markets/demo.py, "successor-2-first-meeting"): the crowd
starts split between the June meetings and drifts towards ASH as months pass without an abstract."""
import math
import random

# Per option (ASCO, EHA, IMS, ASH, elsewhere): the crowd's mean belief at the start and at the end of the demo span.
CHOICE_BELIEFS = {
    "successor-2-first-meeting": ([0.30, 0.20, 0.15, 0.30, 0.05], [0.10, 0.08, 0.17, 0.60, 0.05]),
}


def choice_demo_forecast(question, rng: random.Random, progress: float) -> list[float]:
    """One forecaster's probabilities: the crowd's drifting mean, perturbed in log space, held within [0.01, 0.9]
    per option and rounded to 3 decimals with the rounding remainder put on the largest option (sum exactly 1)."""
    k = len(question.options or [])
    start, end = CHOICE_BELIEFS.get(question.slug, ([1 / k] * k, [1 / k] * k))
    raw = [max(1e-3, a + (b - a) * progress) * math.exp(rng.gauss(0, 0.5)) for a, b in zip(start, end)]
    total = sum(raw)
    p = [min(0.9, max(0.01, x / total)) for x in raw]
    total = sum(p)
    p = [round(x / total, 3) for x in p]
    top = max(range(k), key=lambda i: p[i])
    p[top] = round(1 - sum(x for i, x in enumerate(p) if i != top), 3)
    return p
