"""Bolt listeners, one module per kind; each module's ``register(app, ctx)`` wires its listeners.

A listener acks, parses, calls one service and renders one builder. Unexpected errors
go to the one ``@app.error`` handler in ``bot/slack/app.py``.
"""
