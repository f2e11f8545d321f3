"""The batch on a real Dask distributed LocalCluster (loopback) gives the serial tables."""

from __future__ import annotations

import logging
import operator

import pandas as pd
import pytest
from batchfiles import assert_no_identity, make_mixed_folder, read_table
from typer.testing import CliRunner

from echoassess import run_batch
from echoassess.batch import DaskExecutor
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


def test_serial_and_dask_runs_give_identical_tables(cluster, tmp_path):
    root = tmp_path / "archive"
    root.mkdir()
    info = make_mixed_folder(root)
    serial, dask = tmp_path / "serial", tmp_path / "dask"
    runner = CliRunner()
    reference = run_batch([root], serial, executor="serial", salt=SALT, pairs=info["manifest"])
    common = ["--salt", SALT, "--quiet", "--pairs", str(info["manifest"])]
    r_dask = runner.invoke(
        app, ["batch", str(root), "--out", str(dask), "--scheduler", cluster.scheduler_address, *common]
    )
    assert reference.exit_code == r_dask.exit_code == 1, r_dask.output
    for name in ("clips.csv", "errors.csv", "skipped.csv", "comparisons.csv"):
        pd.testing.assert_frame_equal(read_table(serial / name), read_table(dask / name))
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


def test_dask_executor_runs_every_item_once_and_records_a_failed_task(cluster):
    items = [("a", "/x/a.dcm"), ("b", "/x/b.dcm")]
    got = {}
    DaskExecutor(cluster.scheduler_address).run(items, operator.add, "+opts", got.__setitem__)
    assert got == {"a": "/x/a.dcm+opts", "b": "/x/b.dcm+opts"}
    failed = {}
    DaskExecutor(cluster.scheduler_address).run(items[:1], operator.truediv, None, failed.__setitem__)
    assert failed["a"]["status"] == "failed" and failed["a"]["error_type"] == "WorkerCrash"
    assert failed["a"]["reason"].startswith("the Dask task failed: TypeError")
