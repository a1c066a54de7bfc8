"""The wire to AWS: credentials per role, one client per target and service, our retries.

``AwsTransport.call`` is the only way Goldenpath talks to AWS. It assumes the target's
role (``RoleSessionName=goldenpath``) and caches the credentials until shortly before
they expire; it builds one boto3 client per (account, region, role, service) lazily and
reuses it across threads; it runs every call under ``run_with_retry``; and it counts
calls per operation, so benchmarks and ``/metrics`` can show that a no-op made none.

boto3 is imported only when the first client is built: a CLI run that never calls AWS
does not pay ~0.1 s to import it.
"""

from __future__ import annotations

import functools
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import structlog

from reconciler.cloud.failures import CallSite
from reconciler.cloud.model import Target
from reconciler.cloud.retry import Clock, run_with_retry
from reconciler.cloud.settings import CloudSettings

log = structlog.get_logger(__name__)

# Ambient credentials are not tied to an account we know; this stands in for it in keys.
_AMBIENT = "ambient"


@dataclass(frozen=True)
class RoleCredentials:
    """Temporary credentials of one assumed role."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expires_at: float  # seconds since the epoch

    def fresh(self, now: float, margin: float) -> bool:
        return now < self.expires_at - margin


@dataclass(frozen=True)
class _ClientKey:
    account_id: str
    region: str
    role_arn: str | None
    service: str


@dataclass
class _CachedClient:
    client: Any
    credentials: RoleCredentials | None  # the credentials it was built with


class AwsTransport:
    """Calls AWS APIs for targets: credentials, clients, retries and call counts.

    Thread-safe: the engine's workers share one transport.
    """

    def __init__(self, settings: CloudSettings, clock: Clock, rng: random.Random) -> None:
        self._settings = settings
        self._clock = clock
        self._rng = rng
        self._lock = threading.Lock()  # guards the dicts below and the boto3 session
        self._session: Any = None
        self._clients: dict[_ClientKey, _CachedClient] = {}
        self._credentials: dict[str, RoleCredentials] = {}
        self._role_locks: dict[str, threading.Lock] = {}
        self._calls: Counter[str] = Counter()
        self._calls_by_account: Counter[str] = Counter()

    def call(
        self,
        target: Target,
        operation: str,
        stack: str | None,
        service: str = "cloudformation",
        **params: Any,
    ) -> dict[str, Any]:
        """Call ``operation`` (the API name, e.g. ``DescribeStacks``) for ``target``.

        ``stack`` names the stack the call is about, for errors and logs. Raises the
        errors of ``reconciler.errors``; never a botocore exception.
        """
        from botocore import xform_name

        method = xform_name(operation)
        site = CallSite(operation, stack, target)

        def attempt() -> dict[str, Any]:
            client = self._client(target, service)
            response: dict[str, Any] = getattr(client, method)(**params)
            return response

        return run_with_retry(
            attempt,
            site,
            self._settings.retry,
            self._clock,
            self._rng,
            on_expired_credentials=lambda: self.forget_credentials(target),
        )

    def warm_up(self, service: str = "cloudformation") -> None:
        """Import boto3 and load ``service``'s API model now, not on the first call: a few
        hundred milliseconds a long-running process should not spend on its first change.
        Sends nothing; a client built later for any target reuses the loaded model."""
        with self._lock:
            session = self._boto_session()
            session.client(
                service, region_name="us-east-1", endpoint_url=self._settings.endpoint_url
            )

    def api_calls(self) -> dict[str, int]:
        """Calls sent so far, by ``service:Operation`` (each retry counts)."""
        with self._lock:
            return dict(self._calls)

    def api_calls_of(self, account_id: str) -> int:
        """Calls sent so far on behalf of ``account_id`` (each retry counts)."""
        with self._lock:
            return self._calls_by_account[account_id]

    def forget_credentials(self, target: Target) -> None:
        """Drop the cached credentials of the target's role; the next call assumes it anew."""
        if target.role_arn is None:
            return
        with self._lock:
            self._credentials.pop(target.role_arn, None)

    def _client(self, target: Target, service: str) -> Any:
        credentials = self._role_credentials(target) if target.role_arn else None
        key = _ClientKey(target.account_id, target.region, target.role_arn, service)
        return self._cached_client(key, credentials)

    def _cached_client(self, key: _ClientKey, credentials: RoleCredentials | None) -> Any:
        with self._lock:
            cached = self._clients.get(key)
            if cached is not None and cached.credentials is credentials:
                return cached.client
            client = self._new_client(key, credentials)
            self._clients[key] = _CachedClient(client, credentials)
            return client

    def _role_credentials(self, target: Target) -> RoleCredentials:
        role = target.role_arn
        assert role is not None
        margin = self._settings.credential_refresh_margin
        with self._lock:
            cached = self._credentials.get(role)
            role_lock = self._role_locks.setdefault(role, threading.Lock())
        if cached is not None and cached.fresh(self._clock.now(), margin):
            return cached
        # One AssumeRole per role at a time: workers that queue here reuse its result.
        with role_lock:
            with self._lock:
                cached = self._credentials.get(role)
            if cached is not None and cached.fresh(self._clock.now(), margin):
                return cached
            credentials = self._assume_role(target, role)
            with self._lock:
                self._credentials[role] = credentials
            return credentials

    def _assume_role(self, target: Target, role: str) -> RoleCredentials:
        sts = self._cached_client(_ClientKey(_AMBIENT, target.region, None, "sts"), None)
        response: dict[str, Any] = run_with_retry(
            lambda: sts.assume_role(
                RoleArn=role,
                RoleSessionName=self._settings.role_session_name,
                DurationSeconds=self._settings.role_session_seconds,
            ),
            CallSite("AssumeRole", None, target),
            self._settings.retry,
            self._clock,
            self._rng,
            # Ambient credentials refresh themselves inside botocore.
            on_expired_credentials=lambda: None,
        )
        raw = response["Credentials"]
        log.info(
            "cloud.role_assumed",
            role_arn=role,
            account=target.account_id,
            expires=raw["Expiration"].isoformat(),
        )
        return RoleCredentials(
            access_key_id=raw["AccessKeyId"],
            secret_access_key=raw["SecretAccessKey"],
            session_token=raw["SessionToken"],
            expires_at=raw["Expiration"].timestamp(),
        )

    def _new_client(self, key: _ClientKey, credentials: RoleCredentials | None) -> Any:
        from botocore.config import Config

        settings = self._settings
        config = Config(
            region_name=key.region,
            # One try per call: run_with_retry is the retry policy.
            retries={"mode": "standard", "total_max_attempts": 1},
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            max_pool_connections=settings.max_pool_connections,
            user_agent_appid="goldenpath",
        )
        explicit: dict[str, str] = {}
        if credentials is not None:
            explicit = {
                "aws_access_key_id": credentials.access_key_id,
                "aws_secret_access_key": credentials.secret_access_key,
                "aws_session_token": credentials.session_token,
            }
        client = self._boto_session().client(
            key.service,
            region_name=key.region,
            endpoint_url=settings.endpoint_url,
            config=config,
            **explicit,
        )
        client.meta.events.register("before-call", functools.partial(self._count_call, key))
        log.debug(
            "cloud.client_built",
            service=key.service,
            account=key.account_id,
            region=key.region,
            role_arn=key.role_arn,
        )
        return client

    def _boto_session(self) -> Any:
        # Called with self._lock held: boto3 sessions are not thread-safe.
        if self._session is None:
            import boto3

            settings = self._settings
            if settings.access_key is not None:
                self._session = boto3.session.Session(
                    aws_access_key_id=settings.access_key.id,
                    aws_secret_access_key=settings.access_key.secret,
                )
            else:
                self._session = boto3.session.Session(profile_name=settings.profile)
        return self._session

    def _count_call(self, key: _ClientKey, model: Any, **_: Any) -> None:
        name = f"{model.service_model.service_name}:{model.name}"
        with self._lock:
            self._calls[name] += 1
            self._calls_by_account[key.account_id] += 1
