from fastapi import APIRouter

router = APIRouter(tags=["health"])
# Old paths kept for old clients, on a router of their own so a deployment can drop them.
legacy_router = APIRouter(tags=["health"])


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
