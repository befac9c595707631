"""The Flask and FastAPI examples as gunicorn and uvicorn load them in the
multi-worker test: configured from the environment, with the worker's pid in
an ``X-Worker`` header so the test can tell which process served what."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _example(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _options() -> dict[str, str]:
    return {
        "secret_key": os.environ["SECRET_KEY"],
        "client_id": os.environ["CASHSOCIAL_CLIENT_ID"],
        "client_secret": os.environ["CASHSOCIAL_CLIENT_SECRET"],
        "base_url": os.environ["CASHSOCIAL_BASE_URL"],
    }


def flask_app() -> Any:
    """WSGI app for ``gunicorn 'tests.multiworker_apps:flask_app()'``."""
    cache = None
    if os.environ.get("REDIS_URL"):
        import redis

        cache = redis.Redis.from_url(os.environ["REDIS_URL"])
    app = _example("flask_app").create_app(cache=cache, **_options())
    pid = str(os.getpid())

    def with_worker(environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            return start_response(status, [*headers, ("X-Worker", pid)], *rest)

        return app(environ, start)

    return with_worker


def fastapi_app() -> Any:
    """ASGI app for ``uvicorn --factory tests.multiworker_apps:fastapi_app``."""
    cache = None
    if os.environ.get("REDIS_URL"):
        import redis.asyncio

        cache = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"])
    app = _example("fastapi_app").create_app(cache=cache, **_options())
    pid = str(os.getpid()).encode()

    async def with_worker(scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def send_with_worker(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"x-worker", pid)],
                }
            await send(message)

        await app(scope, receive, send_with_worker)

    return with_worker
