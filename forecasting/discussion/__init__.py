"""Discussion: comments on questions and trials (threaded one level), their moderation, and forecasts attached to them."""
