import asyncio
import logging

from fastapi import APIRouter, HTTPException, Request

from taskboard.models import ErrorMessage

logger = logging.getLogger("taskboard")

router = APIRouter(tags=["health"])
# Old paths kept for old clients, on a router of their own so a deployment can drop them.
legacy_router = APIRouter(tags=["health"])
# Lesson 15: whether this instance can serve requests now, for load balancers and Kubernetes.
readiness_router = APIRouter(tags=["health"])

# Seconds the readiness check waits for the database. Below the probe's own timeout (1 s by
# default, 2 s in deploy/k8s/deployment.yaml), so the probe gets our 503, not a timeout of its own.
READINESS_TIMEOUT = 1.0


@router.get("/health", summary="Health check")
async def health() -> dict[str, str]:
    """Answer load balancers and probes: the process is up and serving."""
    return {"status": "ok"}


# Uptime monitors set up for the service Taskboard replaced still poll /status. It answers the
# same as /health, and `deprecated=True` shows it struck through in the docs so nobody builds on it.
@legacy_router.get("/status", summary="Health check (old path)", deprecated=True)
async def legacy_status() -> dict[str, str]:
    """Kept for monitors set up before Taskboard: use `GET /health` instead.

    This path answers exactly as `/health` does, and will be removed in a future version.
    """
    return await health()


# /health says the process is alive (a liveness probe restarts it when it is not); /ready says
# whether it can serve, which needs the database. Kept apart on purpose: when the database is
# down, restarting every instance helps nobody, while taking them out of the load balancer
# until it is back does.
@readiness_router.get(
    "/ready",
    summary="Readiness check",
    responses={503: {"model": ErrorMessage, "description": "The database does not answer."}},
)
async def ready(request: Request) -> dict[str, str]:
    """Answer 200 when the database answers a `SELECT 1` within a second, else 503."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT):
            await request.app.state.store.ping()
    # Whatever went wrong (refused, timed out, bad password, a driver's own error), this
    # instance cannot serve: a probe reads only the status, and the log says why.
    except Exception as error:
        reason = str(error).partition("\n")[0] or "no answer"
        logger.warning("Not ready: the database failed: %s: %s", type(error).__name__, reason)
        raise HTTPException(503, "Database unavailable") from None
    return {"status": "ready"}
