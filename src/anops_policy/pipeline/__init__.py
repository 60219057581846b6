"""One run end to end: ``eval``, ``facts`` and ``init`` as functions that wire the built-in collectors,
collection, evaluation and the decision log together. ``cli`` and ``server`` call only this.

May import collectors, collection, audit, evaluation, policy and below."""
