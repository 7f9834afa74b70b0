"""Fakes of outside services that run as real servers on 127.0.0.1 (port 0)."""
