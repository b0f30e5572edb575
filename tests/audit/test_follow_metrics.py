"""`vigie audit follow --metrics`: the run's outcome where node exporter reads it."""

from __future__ import annotations

import datetime as dt
import socket
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID

from tests.audit.test_follow import edit_line, grow
from vigie.cli import main


def read_metrics(path) -> dict[str, float]:
    """name{labels} -> value, read as Prometheus' text format says (no library)."""
    out = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


@pytest.fixture
def follow_argv(tmp_path, log_key, witness_key):
    central = tmp_path / "central"
    grow(central, log_key, 40)
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "log.pub").write_text(log_key.verifier.text() + "\n")
    (keys / "w.key").write_bytes(witness_key.pem())
    return central, [
        "audit", "follow", str(central), "--copy", str(tmp_path / "copy"),
        "--state", str(tmp_path / "state"), "--witness-key", str(keys / "w.key"),
        "--name", witness_key.name, "--log-key", str(keys / "log.pub"),
        "--metrics", str(tmp_path / "metrics" / "vigie_witness.prom"),
    ]  # fmt: skip


def test_a_good_run_says_up_and_when(tmp_path, follow_argv):
    (tmp_path / "metrics").mkdir()
    before = time.time()
    assert main(follow_argv[1]) == 0
    m = read_metrics(tmp_path / "metrics" / "vigie_witness.prom")
    assert m["vigie_witness_up"] == 1 and m["vigie_witness_journal_refused"] == 0
    assert before <= m["vigie_witness_last_success_timestamp_seconds"] <= time.time()
    assert m['vigie_witness_entries_held{journal="journal"}'] == 40


def test_a_refused_journal_is_flagged_and_keeps_the_last_success(
    tmp_path, follow_argv, log_key, capsys
):
    (tmp_path / "metrics").mkdir()
    central, argv = follow_argv
    assert main(argv) == 0
    metrics = tmp_path / "metrics" / "vigie_witness.prom"
    succeeded = read_metrics(metrics)["vigie_witness_last_success_timestamp_seconds"]
    edit_line(central, log_key)
    assert main(argv) == 1
    assert "JOURNAL-REFUSED" in capsys.readouterr().err
    m = read_metrics(metrics)
    assert m["vigie_witness_journal_refused"] == 1 and m["vigie_witness_up"] == 0
    assert m["vigie_witness_last_success_timestamp_seconds"] == succeeded
    assert m["vigie_witness_last_run_timestamp_seconds"] >= succeeded


def self_signed(folder) -> list[str]:
    """--ca, --tls-cert, --tls-key options naming a throwaway self-signed identity."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "witness-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (folder / "cert.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    return ["--ca", str(folder / "cert.pem"), "--tls-cert", str(folder / "cert.pem"),
            "--tls-key", str(folder / "key.pem")]  # fmt: skip


def test_an_unreachable_source_is_down_not_refused(tmp_path, follow_argv, capsys):
    (tmp_path / "metrics").mkdir()
    central, argv = follow_argv
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"https://127.0.0.1:{port}/journal/"
    argv = [url if a == str(central) else a for a in argv] + self_signed(tmp_path)
    assert main(argv) == 1
    assert "unreachable" in capsys.readouterr().err
    m = read_metrics(tmp_path / "metrics" / "vigie_witness.prom")
    assert m["vigie_witness_up"] == 0 and m["vigie_witness_journal_refused"] == 0
    assert m["vigie_witness_last_success_timestamp_seconds"] == 0  # never


def test_metrics_that_cannot_be_written_fail_the_run(tmp_path, follow_argv, capsys):
    # No metrics folder: the witness cannot tell anyone, so its unit fails.
    assert main(follow_argv[1]) == 1
    assert "metrics not written" in capsys.readouterr().err
