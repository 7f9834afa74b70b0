"""The e-mail lane: incident conversations as a mail thread over SMTP (``notifier.py``)."""
