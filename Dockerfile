# syntax=docker/dockerfile:1
# The simulator with Debian's ngspice 39 (bookworm). Entry point: the `coupled` command; results
# go to the volume /results. The same image runs Dask schedulers and workers
# (`--entrypoint dask`), see docs/docker.md.
FROM python:3.11-slim-bookworm

ENV MPLBACKEND=Agg \
    MPLCONFIGDIR=/tmp/matplotlib \
    NUMBA_CACHE_DIR=/opt/coupled/numba-cache \
    OPENBLAS_NUM_THREADS=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/coupled
# Debian packages from the list `make setup` installs, through the same script.
COPY scripts/system-packages.txt scripts/install-system-packages.sh scripts/
RUN bash scripts/install-system-packages.sh --no-install-recommends \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY coupled coupled
COPY circuits circuits
COPY analysis analysis
COPY netlists netlists
# Install (a wheel, not editable) and prove ngspice works: a 1k/1k divider across 1 V gives 0.5 V.
# Two tiny training runs fill the compiled-kernel cache, so containers start without compiling.
RUN pip install --no-cache-dir . \
    && rm -rf build ./*.egg-info \
    && python -c "from coupled.spice.network import smoke_test; smoke_test()" \
    && coupled --version \
    && coupled train --network square:3x3 --steps 2 --tasks 2 \
    && coupled train --network square:3x3 --steps 2 --tasks 2 --rule discrete \
    && mkdir -p "$NUMBA_CACHE_DIR" && chmod -R a+rwX "$NUMBA_CACHE_DIR"

RUN useradd --create-home --uid 1000 coupled \
    && mkdir -p /results \
    && chown coupled:coupled /results
USER 1000:1000
WORKDIR /results
VOLUME ["/results"]
# Dask scheduler (8786) and its dashboard (8787), for `--entrypoint dask`.
EXPOSE 8786 8787

ENTRYPOINT ["coupled"]
CMD ["--help"]
