"""The httpx2 clients: Authlib's ``OAuth2Client`` and ``AsyncOAuth2Client``
speaking Sngine. Needs the ``httpx`` extra (``pip install
authlib-cashsocial[httpx]``)."""

from __future__ import annotations

from typing import Any

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuth2Client
from authlib.oidc.core import UserInfo

from .client_base import CashSocialClientMixin
from .compliance import transport_error
from .errors import CashSocialError

__all__ = ["AsyncCashSocialClient", "CashSocialClient"]

_DEFAULT = httpx2.USE_CLIENT_DEFAULT


def _translated(exc: httpx2.TransportError) -> CashSocialError:
    return transport_error(exc, timed_out=isinstance(exc, httpx2.TimeoutException))


class CashSocialClient(CashSocialClientMixin, OAuth2Client):  # type: ignore[misc]
    """A synchronous httpx2 client for one Sngine app, built on Authlib's
    ``OAuth2Client``; a context manager, like ``httpx2.Client``.

    Takes the same options as :class:`~authlib_cashsocial.CashSocialSession`
    plus ``httpx2.Client``'s own (``transport``, ``verify``, ``proxy``, ...).

    Example::

        with CashSocialClient(APP_ID, APP_SECRET) as client:
            client.fetch_token(auth_key=auth_key)
            profile = client.userinfo()
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        fix = self._compliance_from(client_id, client_secret, kwargs)
        kwargs.setdefault("timeout", fix.settings.timeout)
        OAuth2Client.__init__(self, **self._authlib_kwargs(fix, kwargs))
        self.compliance = fix
        fix(self)

    def fetch_token(
        self,
        url: str | None = None,
        *,
        auth_key: str | None = None,
        authorization_response: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Exchange an ``auth_key`` (or the callback URL that carries it)."""
        params = self._exchange_params(url, auth_key, authorization_response, kwargs)
        return self.compliance.token_exchange(
            lambda method: OAuth2Client.fetch_token(self, method=method, **params)
        )

    def request(
        self,
        method: str,
        url: Any,
        withhold_token: bool = False,
        auth: Any = _DEFAULT,
        **kwargs: Any,
    ) -> httpx2.Response:
        self._check_token(withhold_token=withhold_token, default_auth=auth is _DEFAULT)
        try:
            return super().request(  # type: ignore[no-any-return]
                method, url, withhold_token=withhold_token, auth=auth, **kwargs
            )
        except httpx2.TransportError as exc:
            failure = _translated(exc)
        raise failure  # outside the handler: nothing quoting the URL is chained

    def userinfo(self, **kwargs: Any) -> UserInfo:
        """The signed-in user's normalized claims."""
        return self.compliance.userinfo_from_response(
            self.get(self.userinfo_url, **kwargs)
        )


class AsyncCashSocialClient(CashSocialClientMixin, AsyncOAuth2Client):  # type: ignore[misc]
    """The asynchronous twin of :class:`CashSocialClient`.

    Example::

        async with AsyncCashSocialClient(APP_ID, APP_SECRET) as client:
            await client.fetch_token(authorization_response=str(request.url))
            profile = await client.userinfo()
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        fix = self._compliance_from(client_id, client_secret, kwargs)
        kwargs.setdefault("timeout", fix.settings.timeout)
        AsyncOAuth2Client.__init__(self, **self._authlib_kwargs(fix, kwargs))
        self.compliance = fix
        fix(self)

    async def fetch_token(
        self,
        url: str | None = None,
        *,
        auth_key: str | None = None,
        authorization_response: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Exchange an ``auth_key`` (or the callback URL that carries it)."""
        params = self._exchange_params(url, auth_key, authorization_response, kwargs)
        return await self.compliance.async_token_exchange(
            lambda method: AsyncOAuth2Client.fetch_token(self, method=method, **params)
        )

    async def request(
        self,
        method: str,
        url: Any,
        withhold_token: bool = False,
        auth: Any = _DEFAULT,
        **kwargs: Any,
    ) -> httpx2.Response:
        self._check_token(withhold_token=withhold_token, default_auth=auth is _DEFAULT)
        try:
            return await super().request(  # type: ignore[no-any-return]
                method, url, withhold_token=withhold_token, auth=auth, **kwargs
            )
        except httpx2.TransportError as exc:
            failure = _translated(exc)
        raise failure  # outside the handler: nothing quoting the URL is chained

    async def userinfo(self, **kwargs: Any) -> UserInfo:
        """The signed-in user's normalized claims."""
        resp = await self.get(self.userinfo_url, **kwargs)
        return self.compliance.userinfo_from_response(resp)
