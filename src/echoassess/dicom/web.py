"""Studies from a PACS over DICOMweb, and SRs back into it.

:func:`run_dicomweb_batch` is :func:`echoassess.run_batch` with a PACS at both
ends: it finds the studies (QIDO-RS), retrieves their ultrasound instances
(WADO-RS) into a cache folder, runs the normal batch on that folder (same
tables, same resume, same pairing) and, when asked, stores each clip's
Structured Report back into the PACS (STOW-RS).

Credentials never travel on the command line: :func:`session_from_environment`
reads ``ECHOASSESS_DICOMWEB_USER`` and ``ECHOASSESS_DICOMWEB_PASSWORD`` (HTTP
basic) or ``ECHOASSESS_DICOMWEB_TOKEN`` (a bearer token); without them,
``requests`` reads the netrc file (``~/.netrc`` or ``$NETRC``). Error messages
show the URL without any user name or password. TLS (``https://``) is
verified against the system's or ``$REQUESTS_CA_BUNDLE``'s certificates.

Every failure of the server is an :class:`echoassess.errors.DicomWebError`
naming the URL and what went wrong (unreachable, refused credentials, no such
study), never a traceback from the HTTP stack.

:func:`run_dicomweb_batch` is orchestration above the DICOM layer: it imports
:mod:`echoassess.batch` inside the function (the batch imports this package).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import DicomWebError, InvalidParameterError
from .metadata import ULTRASOUND_SOP_CLASSES

__all__ = [
    "DicomWebOutputs",
    "session_from_environment",
    "connect",
    "find_studies",
    "retrieve_study",
    "store_srs",
    "run_dicomweb_batch",
    "default_cache_dir",
    "safe_url",
]

logger = logging.getLogger("echoassess")

ENV_USER = "ECHOASSESS_DICOMWEB_USER"
ENV_PASSWORD = "ECHOASSESS_DICOMWEB_PASSWORD"
ENV_TOKEN = "ECHOASSESS_DICOMWEB_TOKEN"
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_DATE_RANGE = re.compile(r"^(\d{8})?-(\d{8})?$|^\d{8}$")


def safe_url(url: str) -> str:
    """``url`` without any user name or password (for messages and logs).

    >>> safe_url("https://ann:secret@pacs.example/dicom-web")
    'https://pacs.example/dicom-web'
    """
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameterError(
            safe_url(url),
            "not an http(s) URL of a DICOMweb service",
            hint="e.g. --dicomweb http://127.0.0.1:8042/dicom-web",
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidParameterError(
            safe_url(url),
            "the URL holds a user name or password",
            hint=f"remove them from the URL; set {ENV_USER} and {ENV_PASSWORD} or use a netrc file",
        )
    return url.rstrip("/")


def session_from_environment(environ: Mapping[str, str] | None = None) -> Any:
    """A ``requests.Session`` with the credentials from the environment.

    ``ECHOASSESS_DICOMWEB_TOKEN`` gives a bearer token; otherwise
    ``ECHOASSESS_DICOMWEB_USER`` (and ``..._PASSWORD``) HTTP basic
    authentication; otherwise none, and ``requests`` uses the netrc file
    (``$NETRC`` or ``~/.netrc``) for the server's host, if it has an entry.
    """
    import requests

    env = os.environ if environ is None else environ
    session = requests.Session()
    token = env.get(ENV_TOKEN)
    user = env.get(ENV_USER)
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    elif user:
        session.auth = (user, env.get(ENV_PASSWORD, ""))
    return session


@dataclass
class _Server:
    """A DICOMweb client and the URL to name in messages."""

    client: Any
    url: str

    def call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one client call; every failure becomes a DicomWebError naming the URL."""
        import requests

        try:
            return fn(*args, **kwargs)
        except requests.exceptions.HTTPError as exc:
            code = exc.response.status_code if exc.response is not None else None
            if code in (401, 403):
                raise DicomWebError(
                    self.url,
                    f"the server refused the credentials (HTTP {code}) while trying to {what}",
                    hint=f"set {ENV_USER} and {ENV_PASSWORD} (or {ENV_TOKEN}) or add the host to "
                    "your netrc file",
                ) from None
            if code == 404:
                raise DicomWebError(
                    self.url,
                    f"not found (HTTP 404) while trying to {what}",
                    hint="check the DICOMweb root of the URL and the UIDs",
                ) from None
            raise DicomWebError(self.url, f"the server answered HTTP {code} while trying to {what}") from None
        except requests.exceptions.SSLError as exc:
            raise DicomWebError(
                self.url,
                f"TLS failed while trying to {what}: {_first_line(exc)}",
                hint="set REQUESTS_CA_BUNDLE to your hospital's CA certificates",
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
            raise DicomWebError(
                self.url,
                f"cannot reach the server to {what}",
                hint="check the URL, the port and that the server is running",
            ) from None
        except requests.exceptions.RequestException as exc:
            raise DicomWebError(self.url, f"{what} failed: {type(exc).__name__}") from None
        except ValueError as exc:  # dicomweb-client's own checks (malformed UIDs, replies)
            raise DicomWebError(self.url, f"{what} failed: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def connect(url: str, *, session: Any = None, timeout_s: float = 30.0) -> _Server:
    """A DICOMweb client for ``url`` (the service root, e.g. ``http://host:8042/dicom-web``).

    Raises
    ------
    InvalidParameterError
        Not an http(s) URL, or one with credentials in it.
    """
    from dicomweb_client.api import DICOMwebClient

    url = _check_url(url)
    if session is None:
        session = session_from_environment()
    try:
        client = DICOMwebClient(url=url, session=session, timeout=timeout_s)
    except ValueError as exc:
        raise InvalidParameterError(safe_url(url), f"not a usable DICOMweb URL: {_first_line(exc)}") from None
    client.set_http_retry_params(retry=False)
    return _Server(client, safe_url(url))


def _value(attrs: Mapping[str, Any], tag: str) -> str | None:
    values = (attrs.get(tag) or {}).get("Value") or []
    return str(values[0]) if values else None


def _check_uid(uid: str, what: str) -> str:
    uid = uid.strip()
    if not _UID.match(uid) or len(uid) > 64:
        raise InvalidParameterError(
            None, f"{what} {uid!r} is not a DICOM UID", hint="digits and dots, e.g. 1.2.840.113619.2.55.3"
        )
    return uid


def find_studies(
    server: _Server,
    *,
    accession_number: str | None = None,
    study_date: str | None = None,
) -> list[str]:
    """Study Instance UIDs matching an accession number and/or a study date range (QIDO-RS).

    ``study_date`` is ``YYYYMMDD``, ``YYYYMMDD-YYYYMMDD`` or an open range
    (``YYYYMMDD-``, ``-YYYYMMDD``). Patient attributes are never queried.
    """
    filters: dict[str, str] = {}
    if accession_number:
        filters["AccessionNumber"] = accession_number
    if study_date:
        if not _DATE_RANGE.match(study_date):
            raise InvalidParameterError(
                None,
                f"--study-date {study_date!r} is not a DICOM date range",
                hint="YYYYMMDD or YYYYMMDD-YYYYMMDD",
            )
        filters["StudyDate"] = study_date
    if not filters:
        raise InvalidParameterError(None, "give --study UID, --accession or --study-date")
    found = server.call(
        "search for studies", server.client.search_for_studies, search_filters=filters, get_remaining=True
    )
    return sorted({uid for s in found if (uid := _value(s, "0020000D"))})


def retrieve_study(
    server: _Server,
    study_instance_uid: str,
    cache_dir: str | os.PathLike[str],
    *,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Retrieve a study's ultrasound instances into ``cache_dir/<study>/`` (WADO-RS).

    Instances already in the cache are not fetched again. Returns their paths.

    Raises
    ------
    DicomWebError
        The server is unreachable, refuses the credentials, or has no such
        study (or the study has no ultrasound instance).
    """
    uid = _check_uid(study_instance_uid, "study")
    instances = server.call(
        f"search study {uid}", server.client.search_for_instances, study_instance_uid=uid, get_remaining=True
    )
    if not instances:
        raise DicomWebError(
            server.url,
            f"no study {uid} on the server",
            hint="check the Study Instance UID (QIDO-RS found no instance)",
        )
    wanted = [i for i in instances if _value(i, "00080016") in ULTRASOUND_SOP_CLASSES]
    if not wanted:
        raise DicomWebError(
            server.url,
            f"study {uid} has no ultrasound instance ({len(instances)} instance(s) of other kinds)",
        )
    folder = Path(cache_dir) / uid
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for inst in wanted:
        series, sop = _value(inst, "0020000E"), _value(inst, "00080018")
        if not series or not sop:
            continue
        path = folder / f"{_check_uid(sop, 'SOP instance')}.dcm"
        if not path.is_file():
            if progress is not None:
                progress(f"retrieving {sop}")
            ds = server.call(
                f"retrieve instance {sop}",
                server.client.retrieve_instance,
                study_instance_uid=uid,
                series_instance_uid=series,
                sop_instance_uid=sop,
            )
            _save(ds, path)
            logger.debug("retrieved instance %s of study %s from %s", sop, uid, server.url)
        paths.append(path)
    return paths


def _save(ds: Any, path: Path) -> None:
    """Write a retrieved instance atomically (a killed run leaves no half file in the cache)."""
    import io

    from ..store import PRIVATE_MODE, atomic_write

    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    # a retrieved instance carries the patient's identity: owner-only, like the salt
    atomic_write(path, buffer.getvalue(), mode=PRIVATE_MODE)


def store_srs(server: _Server, paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Send SR files to the server (STOW-RS), one request each; returns their SOP Instance UIDs.

    Raises
    ------
    DicomWebError
        The server refused one (the message says which and why).
    """
    import pydicom

    stored = []
    for p in paths:
        ds = pydicom.dcmread(p)
        reply = server.call(f"store the SR {Path(p).name}", server.client.store_instances, datasets=[ds])
        failed = reply.get("FailedSOPSequence") if reply is not None else None
        if failed:
            reason = failed[0].get("FailureReason", "?")
            raise DicomWebError(
                server.url, f"the server refused the SR {Path(p).name} (failure reason {reason})"
            )
        stored.append(str(ds.SOPInstanceUID))
    return stored


@dataclass(frozen=True)
class DicomWebOutputs:
    """What :func:`run_dicomweb_batch` did: the studies, the batch and the stored SRs."""

    studies: tuple[str, ...]
    cache_dir: Path
    batch: Any
    stored: tuple[str, ...] = ()
    url: str = ""
    files: tuple[Path, ...] = field(default=(), repr=False)

    @property
    def exit_code(self) -> int:
        code: int = self.batch.exit_code
        return code


def default_cache_dir(out_dir: str | os.PathLike[str]) -> Path:
    """The default cache beside the output folder: ``OUT.dicomweb-cache``.

    Not inside OUT, which a batch never reads from.
    """
    out = Path(out_dir).resolve()
    return out.with_name(out.name + ".dicomweb-cache")


def _query_studies(server: _Server, accession_number: str | None, study_date: str | None) -> list[str]:
    """The studies a query finds (QIDO-RS); a DicomWebError when there is none."""
    uids = find_studies(server, accession_number=accession_number, study_date=study_date)
    if not uids:
        raise DicomWebError(server.url, "no study matches the query", hint="check --accession / --study-date")
    return uids


def run_dicomweb_batch(
    url: str,
    out_dir: str | os.PathLike[str],
    *,
    studies: Sequence[str] = (),
    accession_number: str | None = None,
    study_date: str | None = None,
    sr: bool = False,
    store: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    session: Any = None,
    timeout_s: float = 30.0,
    progress_message: Callable[[str], None] | None = None,
    **batch_kwargs: Any,
) -> DicomWebOutputs:
    """Fetch studies from a DICOMweb server, run the batch on them, store the SRs back.

    Parameters
    ----------
    url : str
        The DICOMweb root, e.g. ``http://127.0.0.1:8042/dicom-web``.
    out_dir : path
        The batch's output folder (:func:`echoassess.run_batch`).
    studies : sequence of str
        Study Instance UIDs; or, when empty, ``accession_number`` and/or
        ``study_date`` select the studies (QIDO-RS).
    sr : bool
        Write one SR per analysed clip (``OUT/sr/``).
    store : bool
        Send each SR to the server (STOW-RS); needs ``sr``.
    cache_dir : path, optional
        Where retrieved instances are kept (they carry patient identity);
        default :func:`default_cache_dir`. Reruns reuse it.
    session : requests.Session, optional
        Default :func:`session_from_environment`.
    **batch_kwargs
        Passed to :func:`echoassess.run_batch` (``workers``, ``pairs``,
        ``pair_by``, ``hints``, ``progress``, ...).

    Raises
    ------
    DicomWebError
        Unreachable server, refused credentials, unknown study, refused store.
    InvalidParameterError
        A malformed URL, UID or date range, or ``store`` without ``sr``.
    """
    from ..batch import run_batch

    if store and not sr:
        raise InvalidParameterError(None, "--store sends the SRs, so it needs --sr", hint="add --sr")
    uids = [_check_uid(s, "study") for s in studies]
    if not uids and not (accession_number or study_date):
        raise InvalidParameterError(
            None, "no study given", hint="give --study UID (repeatable), --accession or --study-date"
        )
    server = connect(url, session=session, timeout_s=timeout_s)
    say = progress_message or (lambda msg: None)
    uids = uids or _query_studies(server, accession_number, study_date)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(out_dir)
    files: list[Path] = []
    for uid in uids:
        say(f"retrieving study {uid}")
        files += retrieve_study(server, uid, cache, progress=say)
    outputs = run_batch([cache / uid for uid in uids], out_dir, sr=sr, **batch_kwargs)
    stored: list[str] = []
    if store and outputs.srs is not None and len(outputs.srs):
        say(f"storing {len(outputs.srs)} structured report(s)")
        stored = store_srs(server, [Path(out_dir) / f for f in outputs.srs["sr_file"]])
    return DicomWebOutputs(
        studies=tuple(uids),
        cache_dir=cache,
        batch=outputs,
        stored=tuple(stored),
        url=server.url,
        files=tuple(files),
    )
