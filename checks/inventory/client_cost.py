"""What it costs botocore to make a client, paid once per process instead of once per client.

An organization scan creates ~25 clients per (account, region): one account at 2 regions is ~50
clients, a 100-account scan ~5,000. Profiled on a 3-account scan at 8 units in flight (bench/org_scan.py
latency --replay, yappi CPU clock), creating clients was ~38% of the scanner's CPU, and one scanner
process is CPU-bound long before 8 x 40 ms of latency are. Three parts of it repeat the same work for
every client, and all three are kept per process here (measured: 7.0 -> ~4.9 ms of CPU per client):

* the generated client class (a method per operation: EC2 has ~700), always the same for one service
  and API version (:class:`_ClientClasses`);
* the ``ServiceModel`` around the loader's parsed description, whose cached properties every new client
  fills again (:class:`_ServiceModels`);
* the event-name aliases: every client gets a copy of its session's ``EventAliaser`` whose cache of
  translated event names starts empty, so each of the ~50 event names a client registers or emits is
  worked out again (a loop over all aliases) - ~10,000 times for that 3-account scan. The translation
  depends only on the alias table, botocore's default for every session and client, so they share one
  cache (:func:`_shared_alias_cache`).

A fourth cache is about the network rather than the CPU alone: botocore gives every client its own HTTP
session (a urllib3 pool manager with its own SSL context, which loads the CA bundle, and its own
connections), so each of those ~25 clients per (account, region) opened its own connection - against AWS
a TLS handshake per client, ~5,000 for a 100-account scan - and a pool that lived as long as the client.
Clients made with the same HTTP settings share one session per process (:class:`_SharedHTTPSessions`):
a service endpoint's connections are reused by every account's client of that service. Credentials are
per request (signing), never per connection, so sharing a connection across accounts leaks nothing.

They wrap botocore internals (``ClientCreator._create_client_class`` and ``_load_service_model``,
``EventAliaser.__init__``, ``EndpointCreator.create_endpoint``);
tests/checks/test_client_cost.py pins the behaviour they rely on, so a botocore upgrade that changes
it fails there first. Importing this module installs them once per process.
"""
from __future__ import annotations

import os
import threading
from typing import Any

import botocore.client
import botocore.endpoint
import botocore.hooks
import botocore.httpsession


class _ClientClasses:
    """One generated client class per (service, API version) for the whole process (the handlers boto3
    registers on ``creating-client-class`` are the same for every session we make)."""

    def __init__(self) -> None:
        self.classes: dict[tuple[str, str], type] = {}
        self.lock = threading.Lock()
        self.build = botocore.client.ClientCreator._create_client_class

    def __call__(self, creator: Any, service_name: str, service_model: Any) -> type:
        key = (service_name, service_model.api_version)
        with self.lock:
            cls = self.classes.get(key)
        if cls is None:
            cls = self.build(creator, service_name, service_model)
            with self.lock:
                cls = self.classes.setdefault(key, cls)
        return cls


def _shared_alias_cache(init_aliaser: Any) -> Any:
    """Wrap ``EventAliaser.__init__``: an aliaser with botocore's default alias table (every session's, and
    every client's copy of it) uses one process-wide cache of translated event names."""
    shared: dict[str, str] = {}

    def __init__(self: Any, event_emitter: Any, event_aliases: Any = None) -> None:
        init_aliaser(self, event_emitter, event_aliases)
        if self._event_aliases == botocore.hooks.EVENT_ALIASES:
            self._alias_name_cache = shared  # a dict: entries are added whole under the GIL, and agree

    return __init__


class _ServiceModels:
    """One ``ServiceModel`` per (service, API version, parsed description) for the whole process.

    botocore wraps the loader's parsed description in a new ``ServiceModel`` for every client, and the
    model's cached properties start empty: e.g. every new client looks for an endpoint-discovery operation
    by building an ``OperationModel`` for each of the service's operations (EC2: ~700). No botocore or
    boto3 code assigns to a service model after it is made, so clients can share one."""

    def __init__(self) -> None:
        self.models: dict[tuple[str, str | None], tuple[Any, Any]] = {}
        self.lock = threading.Lock()
        self.load = botocore.client.ClientCreator._load_service_model

    def __call__(self, creator: Any, service_name: str, api_version: str | None = None) -> Any:
        description = creator._loader.load_service_model(service_name, "service-2", api_version=api_version)
        key = (service_name, api_version)
        with self.lock:
            known = self.models.get(key)
        if known is not None and known[0] is description:
            return known[1]
        model = self.load(creator, service_name, api_version)
        with self.lock:
            self.models[key] = (description, model)
        return model


class _ProcessHTTPSession(botocore.httpsession.URLLib3Session):
    """A URLLib3Session shared by many clients: one client's ``close()`` must not close the others'
    connections, so closing is left to the end of the process."""

    def close(self) -> None:
        return None


class _SharedHTTPSessions:
    """One HTTP session per distinct set of HTTP settings (timeouts, proxies, verify, pool size, socket
    options, client certificate) for the whole process; urllib3's pool manager is thread-safe."""

    def __init__(self) -> None:
        self.sessions: dict[str, _ProcessHTTPSession] = {}
        self.lock = threading.Lock()

    def __call__(self, **settings: Any) -> _ProcessHTTPSession:
        key = repr(sorted(settings.items()))
        with self.lock:
            session = self.sessions.get(key)
            if session is None:
                session = self.sessions[key] = _ProcessHTTPSession(**settings)
            return session

    def forget(self) -> None:
        """In a forked child: the parent's pooled sockets must never be used by two processes."""
        self.lock = threading.Lock()
        self.sessions = {}


HTTP_SESSIONS = _SharedHTTPSessions()


def _shared_http_session(create_endpoint: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("http_session_cls", HTTP_SESSIONS)
        return create_endpoint(self, *args, **kwargs)

    return wrapper


def install() -> None:
    """Install the four (idempotent)."""
    creator: Any = botocore.client.ClientCreator
    if not getattr(creator, "_srm_class_cache", False):
        classes = _ClientClasses()
        creator._create_client_class = lambda self, name, model: classes(self, name, model)
        creator._srm_class_cache = True
    if not getattr(creator, "_srm_model_cache", False):
        models = _ServiceModels()
        creator._load_service_model = lambda self, name, api_version=None: models(self, name, api_version)
        creator._srm_model_cache = True
    aliaser: Any = botocore.hooks.EventAliaser
    if not getattr(aliaser, "_srm_shared_alias_cache", False):
        aliaser.__init__ = _shared_alias_cache(aliaser.__init__)
        aliaser._srm_shared_alias_cache = True
    endpoints: Any = botocore.endpoint.EndpointCreator
    if not getattr(endpoints, "_srm_shared_http", False):
        endpoints.create_endpoint = _shared_http_session(endpoints.create_endpoint)
        endpoints._srm_shared_http = True
        os.register_at_fork(after_in_child=HTTP_SESSIONS.forget)


install()
