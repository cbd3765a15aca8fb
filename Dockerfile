# The scheduled synthetic check: icepack-verify in a container (deploy/cronjob.yaml runs it).
# Build from the repository root:  docker build -t icepack-verify:0.1.0 .
# The same two pip commands run outside Docker in selftest/test_shipped.py.

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY constraints.txt /tmp/constraints.txt
COPY --from=build /dist /dist
# Every dependency pinned by constraints.txt (the versions the project's tests ran with).
RUN pip install --no-cache-dir --constraint /tmp/constraints.txt /dist/*.whl \
    && rm -rf /dist /tmp/constraints.txt \
    && useradd --system --uid 10001 --create-home --home-dir /home/verify verify
USER 10001
WORKDIR /home/verify
ENTRYPOINT ["icepack-verify"]
CMD ["--help"]
