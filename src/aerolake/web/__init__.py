"""The web layer: live map feed (WebSocket), REST API, ops data and Prometheus metrics.

:func:`aerolake.web.app.create_app` builds the FastAPI app; :class:`aerolake.web.live.LiveHub`
holds the live state the speed layer feeds; :mod:`aerolake.orchestration.serve` runs it all.
Modules: ``aircraft`` (row -> aircraft object), ``live`` (hub), ``fanout`` (message encoding),
``ws`` (``/ws/live``), ``api`` and ``ops`` (REST), ``queries`` (all SQL), ``context``,
``metrics``, ``security``. The contract is docs/web-api.md. Importing this package imports
nothing heavy.
"""
