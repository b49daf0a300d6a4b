# syntax=docker/dockerfile:1
# Taskboard's container image (lesson 15). Build it from the repository's root:
#   docker build -t taskboard .
#   docker run --rm -p 8000:8000 -e TASKBOARD_SECRET_KEY=... taskboard
# Two stages: the first installs the locked dependencies into a virtual environment, the second
# copies that environment and the app onto a clean base, without pip's caches or build tools.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
# The lock alone first: this layer is rebuilt only when the lock changes, not at every code change.
COPY requirements.lock /tmp/requirements.lock
# --require-hashes: pip refuses any file whose hash the lock does not list, so the image gets
# exactly the packages the tests ran with. --no-deps: the lock already lists every dependency.
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r /tmp/requirements.lock

FROM ${PYTHON_IMAGE}
# No .pyc files on a read-only filesystem; logs leave at once, not when a buffer fills.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# A user of its own, by number: Kubernetes' runAsNonRoot can check a number, not a name.
RUN groupadd --gid 10001 taskboard \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin taskboard
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY deploy/logging.json deploy/logging.json
COPY taskboard taskboard
USER 10001:10001
EXPOSE 8000
# The slim image has no curl: Python asks. urlopen raises on anything but a 2xx, so the command
# exits non-zero and Docker marks the container unhealthy. (Kubernetes ignores HEALTHCHECK and
# uses the probes of deploy/k8s/deployment.yaml.)
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
# Uvicorn itself rather than `fastapi run`, for the two options `fastapi run` lacks: JSON logs
# (--log-config) and no access log of its own (AccessLogMiddleware logs each request with its id).
# One process per container: Kubernetes runs more containers for more load. --proxy-headers
# trusts X-Forwarded-For/-Proto only from the addresses in FORWARDED_ALLOW_IPS (by default
# 127.0.0.1 and ::1): set it to the load balancer's network. The exec form makes Uvicorn PID 1,
# so it gets Docker's and Kubernetes' SIGTERM and shuts down gracefully.
CMD ["uvicorn", "taskboard.main:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--log-config", "deploy/logging.json", "--no-access-log", "--timeout-graceful-shutdown", "20"]
