# syntax=docker/dockerfile:1
# Goldenpath: `goldenpath serve` by default. Build: docker build -t goldenpath .
ARG PYTHON_VERSION=3.11

# Debian 13 (trixie), named rather than implied by "-slim": its glibc (2.41) must stay at
# 2.34 or later for regopy's manylinux_2_34 wheel (the guardrails' Rego engine).
FROM python:${PYTHON_VERSION}-slim-trixie AS build
WORKDIR /src
RUN python -m venv /opt/goldenpath
ENV PATH=/opt/goldenpath/bin:$PATH
COPY pyproject.toml README.md ./
COPY goldenpath ./goldenpath
COPY reconciler ./reconciler
COPY webhooks ./webhooks
COPY emulator ./emulator
COPY schemas ./schemas
COPY platform-repo-example ./platform-repo-example
# The project itself is the package installed here; its dependencies are bounded in
# pyproject.toml, which is what DL3013 asks for.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir --upgrade pip==25.3 \
    && pip install --no-cache-dir ".[postgres]"

FROM python:${PYTHON_VERSION}-slim-trixie
# git: the platform repo is read with GitPython, which runs git.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git=1:2.* ca-certificates=2025* \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 goldenpath
COPY --from=build /opt/goldenpath /opt/goldenpath
ENV PATH=/opt/goldenpath/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GOLDENPATH_LISTEN=0.0.0.0:8080 \
    GOLDENPATH_STATE=sqlite:////var/lib/goldenpath/state.db
RUN mkdir -p /var/lib/goldenpath && chown goldenpath /var/lib/goldenpath
USER 10001
WORKDIR /var/lib/goldenpath
VOLUME ["/var/lib/goldenpath"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["goldenpath"]
CMD ["serve", "--output", "json"]
