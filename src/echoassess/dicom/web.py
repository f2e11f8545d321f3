"""Studies from a PACS over DICOMweb, and SRs back into it.

The three conversations: find studies (QIDO-RS, :func:`find_studies`), retrieve
their ultrasound instances (WADO-RS, :func:`retrieve_study`) and store SRs
(STOW-RS, :func:`store_srs`). :func:`echoassess.batch.pacs.run_dicomweb_batch`
runs the normal batch between them.

Credentials never travel on the command line: :func:`session_from_environment`
reads ``ECHOASSESS_DICOMWEB_USER`` and ``ECHOASSESS_DICOMWEB_PASSWORD`` (HTTP
basic) or ``ECHOASSESS_DICOMWEB_TOKEN`` (a bearer token); without them,
``requests`` reads the netrc file (``~/.netrc`` or ``$NETRC``). Error messages
show the URL without any user name or password. TLS (``https://``) is
verified against the system's or ``$REQUESTS_CA_BUNDLE``'s certificates.

Every failure of the server is an :class:`echoassess.errors.DicomWebError`
naming the URL and what went wrong (unreachable, refused credentials, no such
study), never a traceback from the HTTP stack.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import DicomWebError, InvalidParameterError
from .metadata import ULTRASOUND_SOP_CLASSES

__all__ = [
    "session_from_environment",
    "connect",
    "find_studies",
    "retrieve_study",
    "store_srs",
    "check_uid",
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


def check_uid(uid: str, what: str) -> str:
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
    uid = check_uid(study_instance_uid, "study")
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
        path = folder / f"{check_uid(sop, 'SOP instance')}.dcm"
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
