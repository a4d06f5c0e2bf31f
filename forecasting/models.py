"""The forecasting app's models, one module per room; Django discovers models through this module.

Every model keeps the app label "forecasting" (its tables, migrations, admin URLs and permissions never moved):
forecasting/accounts/models.py, forecasts/models.py, discussion/models.py, resolution/models.py, scoring/models.py and
notifications/models.py. Code inside the rooms imports models from their room's module, not from here.
"""
from forecasting.accounts.models import *  # noqa: F401,F403
from forecasting.forecasts.models import *  # noqa: F401,F403
from forecasting.discussion.models import *  # noqa: F401,F403
from forecasting.notifications.models import *  # noqa: F401,F403
from forecasting.resolution.models import *  # noqa: F401,F403
from forecasting.scoring.models import *  # noqa: F401,F403
from forecasting.scoring.models_baserate import *  # noqa: F401,F403
from forecasting.conditional.models import *  # noqa: F401,F403
from forecasting.groups.models import *  # noqa: F401,F403
