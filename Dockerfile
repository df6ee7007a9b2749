# One image for the four services; the command chooses what runs:
#   uvicorn referrals.app:create_app --factory --host 0.0.0.0 --port 8000   (or plans, ...)
#   python -m shared.migrations referrals
#   python -m shared.topics
# Build: docker build -t send-platform:0.1.0 .   (or podman/buildah; docs/kubernetes.md)
# Pin PYTHON_IMAGE to a digest (python:3.11-slim-bookworm@sha256:...) for reproducible builds.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml ./
COPY requirements/constraints.txt requirements/
COPY shared/ shared/
COPY services/ services/
# The package as a wheel, then installed with every dependency at its pinned version into a
# virtual environment the final stage copies (pip compiles the bytecode here, so a read-only
# root filesystem costs nothing at start).
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
    && python -m venv /opt/send \
    && /opt/send/bin/python -m pip install --constraint requirements/constraints.txt /wheels/*.whl \
    && /opt/send/bin/python -m pip uninstall --yes pip
# The image's software bill of materials: CycloneDX's generator (pinned, in a virtual
# environment of its own that stays in this stage) reads what /opt/send holds, as `make sbom`
# reads the development environment; it ships at /opt/send/sbom.cdx.json.
RUN python -m venv /opt/sbom \
    && /opt/sbom/bin/python -m pip install --constraint requirements/constraints.txt cyclonedx-bom \
    && /opt/sbom/bin/cyclonedx-py environment --pyproject pyproject.toml --output-reproducible \
       --of JSON -o /opt/send/sbom.cdx.json /opt/send/bin/python

FROM ${PYTHON_IMAGE}
ARG PYTHON_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://git.example.gov.uk/send-platform
# OCI annotations: what the image is, which commit built it (docker build --build-arg
# REVISION=$(git rev-parse HEAD)), from what base, under which licence.
LABEL org.opencontainers.image.title="send-platform" \
      org.opencontainers.image.description="SEND support platform: referrals, plans, specialists, notifications and the workspace" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"
# WeasyPrint (the plans service's PDFs) renders text with pango and needs a font. Debian's
# packages of the pinned base image; a new base image digest brings their security updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 send \
    && useradd --system --uid 10001 --gid send --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin send
COPY --from=build /opt/send /opt/send
ENV PATH=/opt/send/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000
# uvicorn handles SIGTERM itself (drains HTTP for --timeout-graceful-shutdown, then the
# consumers finish their events), so no init process is needed; nothing forks children.
CMD ["python", "-m", "shared.services"]
