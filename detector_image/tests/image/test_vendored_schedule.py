"""The image's opening-hours module is the recorder role's file, byte for byte."""

from __future__ import annotations

import hashlib

from dockerkit import ROOT, sh

ROLE_FILE = ROOT / "roles" / "recorder" / "files" / "vigie_schedule.py"
IN_IMAGE = "/opt/vigie-detector/lib/vigie_detector/schedule.py"


def test_the_images_schedule_has_the_role_files_sha256(images):
    tag = images.splitlines()[-1]
    got = sh("docker", "run", "--rm", "--entrypoint", "sha256sum", tag, IN_IMAGE).split()[0]
    assert got == hashlib.sha256(ROLE_FILE.read_bytes()).hexdigest()
