from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator

import pytest

from tests.store.pg_cluster import Cluster, pg_bin, start_cluster

_databases = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    if pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run installs Debian's postgresql package")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql): the store tests need a real server")
    cluster = start_cluster()
    yield cluster
    try:
        cluster.stop("immediate")
    finally:
        shutil.rmtree(cluster.folder, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_cluster: Cluster) -> str:
    """A fresh, empty database of the session's cluster for each test."""
    name = f"t{os.getpid()}_{next(_databases)}"
    pg_cluster.sql(f"CREATE DATABASE {name}")
    return pg_cluster.url(name)
