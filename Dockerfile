# syntax=docker/dockerfile:1
# Debian bookworm pins ngspice 39 from Debian's archive.
FROM python:3.11-slim-bookworm

ENV MPLBACKEND=Agg \
    OPENBLAS_NUM_THREADS=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /opt/coupled
COPY scripts/system-packages.txt scripts/install-system-packages.sh scripts/
RUN bash scripts/install-system-packages.sh --no-install-recommends \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY coupled coupled
COPY circuits circuits
COPY analysis analysis
COPY netlists netlists
RUN pip install --no-cache-dir . \
    && python -c "from coupled.spice_solver import smoke_test; smoke_test()"

RUN useradd --create-home --uid 1000 coupled \
    && mkdir -p /results && chown coupled /results
USER 1000:1000
WORKDIR /results
VOLUME ["/results"]

ENTRYPOINT ["coupled"]
CMD ["--help"]
