"""What each score column means, in one sentence: the title (tooltip) of the column headers on leaderboards, score
tables and calibration (``{% column "relative" "Relative" %}``, forecasting/templatetags/numbers.py), and the anchor
of its full explanation on the help page (/help/#<anchor>)."""

COLUMNS = {
    "brier": ("Time-averaged Brier score: (forecast − outcome)², averaged over the time each forecast was held. "
              "0 is perfect, 1 is the worst; lower is better.", "brier"),
    "crps": ("Unit CRPS: the numeric version of Brier, the average Brier score over every “below x?” threshold "
             "across the range. 0 to 1, lower is better.", "crps"),
    "brier_multi": ("Time-averaged multi-category Brier score: the sum over options of (forecast − outcome)², "
                    "averaged over the time each forecast was held. 0 is perfect, 2 is the worst; lower is better.",
                    "brier"),
    "loss": ("Mean time-averaged Brier score (binary), unit CRPS (numeric and date) or multi-category Brier "
             "(multiple choice, 0 to 2) over the questions scored. Lower is better.", "brier"),
    "relative": ("Your Brier/CRPS minus the community median's, over the whole window (the community stands in "
                 "where you had no forecast). Negative means you beat the crowd.", "relative"),
    "sum_relative": ("The sum of relative scores over the questions: negative beats the crowd, and taking part in "
                     "more questions adds more. The main ranking.", "relative"),
    "coverage": ("The share of the question's forecasting window during which you had a forecast.", "coverage"),
    "baseline": ("Log score against a coin flip (binary) or a uniform guess (numeric), averaged over the window: "
                 "100 is perfect, 0 is chance, negative is worse than chance. Higher is better.", "baseline"),
    "peer": ("Log score against the other forecasters at each moment: positive means better than the average "
             "forecaster; the peer scores of one moment sum to zero. Higher is better.", "peer"),
    "questions": ("Resolved questions with a score in this scope.", "relative"),
    "crowd": ("The community median's time-averaged Brier/CRPS on the question.", "relative"),
    "market": ("The market price's time-averaged Brier/CRPS on the question.", "market"),
    "weight": ("How much forecasting time falls in this bin: each forecast counts its share of its question's "
               "window.", "calibration"),
    "mean_forecast": ("The weighted mean forecast of the bin.", "calibration"),
    "observed": ("How often the forecasts in this bin came true (weighted).", "calibration"),
    "interval": ("95% Wilson interval of the observed frequency, with the number of distinct questions as n.",
                 "calibration"),
    "beat_base_rate": ("On how many of the questions where the base-rate reference forecaster was scored your "
                       "Brier/CRPS beat the base rate's.", "base-rate"),
    "realised": ("Profit that is final: for each sale, what you received minus what the sold shares cost, plus "
                 "the results of settled and refunded markets, in points.", "market"),
    "unrealised": ("Value minus cost basis of the shares you still hold in unsettled markets, at today's prices, in "
                   "points. Not final until the market settles.", "market"),
    "profit": ("Realised plus unrealised profit, in points.",
               "market"),
}
