"""The batch on a real Dask distributed LocalCluster (loopback) gives the local tables."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from batchfiles import assert_no_identity, make_mixed_folder, read_table
from typer.testing import CliRunner

from echoassess.cli import app

distributed = pytest.importorskip("distributed")

SALT = "dask-test-salt"


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as c:
        yield c


def test_local_and_dask_runs_give_identical_tables(cluster, tmp_path):
    root = tmp_path / "archive"
    root.mkdir()
    info = make_mixed_folder(root)
    local, dask = tmp_path / "local", tmp_path / "dask"
    runner = CliRunner()
    common = ["--salt", SALT, "--quiet", "--pairs", str(info["manifest"])]
    r_local = runner.invoke(app, ["batch", str(root), "--out", str(local), "-j", "2", *common])
    r_dask = runner.invoke(
        app, ["batch", str(root), "--out", str(dask), "--scheduler", cluster.scheduler_address, *common]
    )
    assert r_local.exit_code == r_dask.exit_code == 1, (r_local.output, r_dask.output)
    for name in ("clips.csv", "errors.csv", "skipped.csv", "comparisons.csv"):
        pd.testing.assert_frame_equal(read_table(local / name), read_table(dask / name))
    clips = pd.read_csv(dask / "clips.csv")
    assert (clips["status"] == "ok").sum() == 7
    # the work ran on the cluster's worker processes, not in this one
    assert set(clips["peak_rss_mb"].dropna()) and (dask / "cohort.png").exists()
    assert_no_identity(dask)
    # a rerun through the cluster reuses every record
    again = runner.invoke(
        app,
        ["batch", str(root), "--out", str(dask), "--scheduler", cluster.scheduler_address, "--salt", SALT],
    )
    assert again.exit_code == 1 and "reused from earlier runs" in again.output
    n_files = len(list((dask / "results").glob("*.json")))
    assert f"({n_files - 1} reused" in again.output  # all but the failed file
