# mindee-scan in a container: small (Python slim, two stages, no build tools in the image), runs as a
# non-root user, git included.
#
#   docker build -t mindee-scan .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/src:ro" mindee-scan git /src     # one-off audit
#
# `--user` runs as the owner of the mounted repository: git refuses a repository owned by someone else
# ("dubious ownership"). Without it the scanner runs as the image's own unprivileged user (uid 10001).
# The base image is pinned to a patch release; pin its digest too (python:3.12.8-slim-bookworm@sha256:...)
# where your registry policy asks for it. tests/integration/test_dockerfile.py checks these properties.

FROM python:3.12.8-slim-bookworm AS build
WORKDIR /build
COPY pyproject.toml README.md ./
COPY ci/constraints.txt ci/constraints.txt
COPY rules rules
COPY scanner scanner
RUN python -m venv /opt/mindee-scan \
    && /opt/mindee-scan/bin/pip install --no-cache-dir --disable-pip-version-check \
        --constraint ci/constraints.txt . \
    && /opt/mindee-scan/bin/mindee-scan --version

FROM python:3.12.8-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin scanner
COPY --from=build /opt/mindee-scan /opt/mindee-scan
ENV PATH=/opt/mindee-scan/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    XDG_CACHE_HOME=/tmp/.cache
USER 10001
WORKDIR /src
ENTRYPOINT ["mindee-scan"]
CMD ["--help"]
