"""DICOMweb: URLs and credentials, error paths, and a round trip through a real Orthanc.

The Orthanc tests start their own Orthanc (Debian packages ``orthanc`` and
``orthanc-dicomweb``, which .ci/run installs) on 127.0.0.1 with a throw-away
storage folder, upload the sample study, run ``echoassess batch --dicomweb ...
--sr --store`` and read the SRs back from Orthanc. They are skipped, with the
reason, when Orthanc or its DICOMweb plugin is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pandas as pd
import pydicom
import pytest
import requests
from typer.testing import CliRunner

from echoassess.batch.pacs import run_dicomweb_batch
from echoassess.cli import app
from echoassess.dicom.sr import read_clip_sr
from echoassess.dicom.web import (
    ENV_PASSWORD,
    ENV_TOKEN,
    ENV_USER,
    connect,
    safe_url,
    session_from_environment,
)
from echoassess.errors import DicomWebError, InvalidParameterError

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
STUDY = str(pydicom.dcmread(SAMPLE / "patient01_pre.dcm", stop_before_pixels=True).StudyInstanceUID)
USER, PASSWORD = "echotest", "not-a-real-secret-42"
PLUGIN_DIRS = ("/usr/share/orthanc/plugins", "/usr/lib/orthanc")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{_free_port()}/dicom-web"


# -- without a server ------------------------------------------------------------------
def test_safe_url_drops_credentials():
    assert safe_url("https://u:pw@pacs.example:8443/dicom-web") == "https://pacs.example:8443/dicom-web"
    assert safe_url("http://127.0.0.1:8042/dicom-web") == "http://127.0.0.1:8042/dicom-web"


def test_credentials_come_from_the_environment_never_the_url():
    s = session_from_environment({ENV_USER: "ann", ENV_PASSWORD: "pw"})
    assert s.auth == ("ann", "pw")
    s = session_from_environment({ENV_TOKEN: "tok", ENV_USER: "ann"})
    assert s.headers["Authorization"] == "Bearer tok" and s.auth is None
    assert session_from_environment({}).auth is None  # requests then reads netrc
    with pytest.raises(InvalidParameterError, match="holds a user name or password") as err:
        connect("http://ann:pw@127.0.0.1:1/dicom-web")
    assert "pw" not in str(err.value)
    with pytest.raises(InvalidParameterError, match="not an http"):
        connect("ftp://127.0.0.1/x")


def test_unreachable_server_is_a_named_error_and_exit_2(tmp_path):
    url = _closed_port_url()
    with pytest.raises(DicomWebError, match="cannot reach the server"):
        run_dicomweb_batch(url, tmp_path / "out", studies=[STUDY])
    res = runner.invoke(
        app, ["batch", "--dicomweb", url, "--study", STUDY, "--out", str(tmp_path / "out"), "--quiet"]
    )
    assert res.exit_code == 2, res.output
    assert f"error: {url}: cannot reach the server" in res.output


def test_usage_errors_exit_2(tmp_path):
    out = str(tmp_path / "out")
    cases = [
        (["batch", "--dicomweb", _closed_port_url(), "--out", out], "no study given"),
        (
            ["batch", "--dicomweb", _closed_port_url(), "--study", "not-a-uid", "--out", out],
            "is not a DICOM UID",
        ),
        (
            ["batch", "--dicomweb", _closed_port_url(), "--study", STUDY, "--store", "--out", out],
            "needs --sr",
        ),
        (["batch", str(SAMPLE), "--study", STUDY, "--out", out], "need --dicomweb"),
        (["batch", "--out", out], "no inputs given"),
        (["batch", str(SAMPLE), "--dicomweb", _closed_port_url(), "--out", out], "not both"),
        (
            ["batch", "--dicomweb", _closed_port_url(), "--study-date", "2024", "--out", out],
            "not a DICOM date range",
        ),
    ]
    for args, message in cases:
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert message in res.output, (args, res.output)


# -- a real Orthanc ---------------------------------------------------------------------
def _plugin() -> Path | None:
    for folder in PLUGIN_DIRS:
        for candidate in sorted(Path(folder).glob("libOrthancDicomWeb.so*")):
            return candidate
    return None


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    """An Orthanc on 127.0.0.1 with DICOMweb and one user; stopped after the module."""
    exe = shutil.which("Orthanc")
    plugin = _plugin()
    if exe is None or plugin is None:
        pytest.skip(
            "Orthanc with its DICOMweb plugin is not installed "
            "(apt-get install orthanc orthanc-dicomweb; .ci/run does)"
        )
    root = tmp_path_factory.mktemp("orthanc")
    port = _free_port()
    config = {
        "Name": "echoassess-test",
        "StorageDirectory": str(root / "db"),
        "IndexDirectory": str(root / "db"),
        "HttpPort": port,
        "DicomServerEnabled": False,
        "RemoteAccessAllowed": False,  # loopback only
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: PASSWORD},
        "Plugins": [str(plugin)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        "HttpTimeout": 30,
        "StorageCompression": False,
    }
    (root / "orthanc.json").write_text(json.dumps(config))
    log = open(root / "orthanc.log", "w")
    proc = subprocess.Popen([exe, str(root / "orthanc.json")], cwd=root, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/system", auth=(USER, PASSWORD), timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Orthanc did not start:\n" + (root / "orthanc.log").read_text()[-3000:])
            time.sleep(0.2)
        for name in ("patient01_pre.dcm", "patient01_post.dcm"):  # upload the sample study
            r = requests.post(
                f"{base}/instances", data=(SAMPLE / name).read_bytes(), auth=(USER, PASSWORD), timeout=30
            )
            r.raise_for_status()
        yield {"base": base, "dicomweb": f"{base}/dicom-web", "root": root}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def credentials(monkeypatch):
    monkeypatch.setenv(ENV_USER, USER)
    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)
    monkeypatch.delenv(ENV_TOKEN, raising=False)


def _srs_in_orthanc(orthanc) -> list[pydicom.Dataset]:
    """The study's SR instances, found by QIDO-RS and retrieved by WADO-RS."""
    client = connect(
        orthanc["dicomweb"], session=session_from_environment({ENV_USER: USER, ENV_PASSWORD: PASSWORD})
    ).client
    found = client.search_for_instances(study_instance_uid=STUDY, search_filters={"Modality": "SR"})
    return [
        client.retrieve_instance(STUDY, i["0020000E"]["Value"][0], i["00080018"]["Value"][0]) for i in found
    ]


@pytest.fixture(scope="module")
def round_trip(orthanc, tmp_path_factory):
    """``echoassess batch --dicomweb URL --study UID --out OUT --sr --store`` once."""
    out = tmp_path_factory.mktemp("web") / "out"
    env = {ENV_USER: USER, ENV_PASSWORD: PASSWORD}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        res = runner.invoke(
            app,
            [
                "batch",
                "--dicomweb",
                orthanc["dicomweb"],
                "--study",
                STUDY,
                "--out",
                str(out),
                "--sr",
                "--store",
                "--workers",
                "2",
                "--quiet",
            ],
        )
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return out, res


def test_round_trip_stores_one_sr_per_clip_with_the_csv_areas(orthanc, round_trip):
    out, res = round_trip
    assert res.exit_code == 0, res.output
    assert PASSWORD not in res.output
    clips = pd.read_csv(out / "clips.csv")
    assert len(clips) == 2 and set(clips["status"]) == {"ok"}
    assert set(clips["study_instance_uid"]) == {STUDY}
    srs = _srs_in_orthanc(orthanc)
    assert len(srs) == 2
    by_source = {read_clip_sr(ds)["source_sop_instance_uid"]: read_clip_sr(ds) for ds in srs}
    assert set(by_source) == set(clips["sop_instance_uid"])
    for _, row in clips.iterrows():
        got = by_source[row["sop_instance_uid"]]
        assert got["study_instance_uid"] == STUDY
        assert abs(got["max_jet_area_cm2"] - row["max_jet_area_cm2"]) <= 0.01
        want = [float(a) for a in str(row["jet_areas_cm2"]).split(";")]
        assert len(got["jet_areas_cm2"]) == len(want) == row["n_jets"] == got["n_jets"]
        assert all(abs(a - b) <= 0.01 for a, b in zip(got["jet_areas_cm2"], want))
        assert got["frame_number"] == row["max_frame"] + 1
    # the stored SRs carry the source's patient module
    src = pydicom.dcmread(SAMPLE / "patient01_pre.dcm", stop_before_pixels=True)
    assert {str(ds.PatientID) for ds in srs} == {str(src.PatientID)}


def test_round_trip_srs_pass_dciodvfy(orthanc, round_trip, tmp_path):
    from test_sr import dciodvfy_errors

    for k, ds in enumerate(_srs_in_orthanc(orthanc)):
        path = tmp_path / f"sr{k}.dcm"
        ds.save_as(path, enforce_file_format=True)
        errors, report = dciodvfy_errors(path)
        assert not errors, report


def test_rerun_reuses_the_cache_and_replaces_the_srs(orthanc, round_trip, credentials):
    out, _ = round_trip
    web = run_dicomweb_batch(orthanc["dicomweb"], out, studies=[STUDY], sr=True, store=True, workers=1)
    assert web.batch.n_reused == 2 and web.batch.n_analysed == 0
    assert len(web.stored) == 2
    assert len(_srs_in_orthanc(orthanc)) == 2  # same SOP instance UIDs: replaced, not added


def test_accession_number_and_date_queries_find_the_study(orthanc, round_trip, credentials):
    out, _ = round_trip
    web = run_dicomweb_batch(orthanc["dicomweb"], out, accession_number="SYNACC001", workers=1)
    assert web.studies == (STUDY,) and web.batch.n_ok == 2
    web = run_dicomweb_batch(orthanc["dicomweb"], out, study_date="20240501-20240531", workers=1)
    assert web.studies == (STUDY,)
    with pytest.raises(DicomWebError, match="no study matches"):
        run_dicomweb_batch(orthanc["dicomweb"], out, study_date="19990101-19991231", workers=1)


def test_wrong_password_is_401_exit_2_and_never_printed(orthanc, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_USER, USER)
    monkeypatch.setenv(ENV_PASSWORD, "wrong-password-xyz")
    res = runner.invoke(
        app,
        [
            "batch",
            "--dicomweb",
            orthanc["dicomweb"],
            "--study",
            STUDY,
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ],
    )
    assert res.exit_code == 2, res.output
    assert "refused the credentials (HTTP 401)" in res.output
    assert orthanc["dicomweb"] in res.output
    assert "wrong-password-xyz" not in res.output


def test_netrc_credentials_work(orthanc, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.delenv(ENV_USER, raising=False)
    monkeypatch.delenv(ENV_TOKEN, raising=False)
    server = connect(orthanc["dicomweb"])
    assert server.client.search_for_studies(search_filters={"StudyInstanceUID": STUDY})


def test_wrong_study_uid_is_a_named_error_exit_2(orthanc, tmp_path, credentials):
    res = runner.invoke(
        app,
        [
            "batch",
            "--dicomweb",
            orthanc["dicomweb"],
            "--study",
            "1.2.3.4.5",
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ],
    )
    assert res.exit_code == 2, res.output
    assert "no study 1.2.3.4.5 on the server" in res.output


# -- TLS ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """A tiny HTTPS DICOMweb stand-in on 127.0.0.1 (self-signed certificate) that knows no study."""
    import http.server
    import ssl
    import threading

    exe = shutil.which("openssl")
    if exe is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            exe,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(d / "key.pem"),
            "-out",
            str(d / "cert.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # every QIDO-RS query: no match
            self.send_response(200)
            self.send_header("Content-Type", "application/dicom+json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "cert.pem", d / "key.pem")
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/dicom-web", d / "cert.pem"
    server.shutdown()
    server.server_close()


def test_tls_url_is_verified_against_the_given_ca(tls_server, tmp_path, monkeypatch):
    url, cert = tls_server
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    res = runner.invoke(
        app, ["batch", "--dicomweb", url, "--study", "1.2.3", "--out", str(tmp_path / "a"), "--quiet"]
    )
    assert res.exit_code == 2 and "TLS failed" in res.output, res.output
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # the hospital's CA: the query goes through
    res = runner.invoke(
        app, ["batch", "--dicomweb", url, "--study", "1.2.3", "--out", str(tmp_path / "b"), "--quiet"]
    )
    assert res.exit_code == 2 and "no study 1.2.3 on the server" in res.output, res.output
