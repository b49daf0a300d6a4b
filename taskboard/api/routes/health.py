from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Answer load balancers and probes: the process is up and serving."""
    return {"status": "ok"}
