"""The Cedar engine and the model's rules agree on every camera x agency x event class.

The pilot in full; one camera in 40 of a generated 4,000-camera département (the whole
département runs in `make bench-access`, a few minutes).
"""

from __future__ import annotations

from vigie.access.differential import all_cameras, compare


def test_pilot_every_camera_agency_event_class(pilot, policy):
    cameras = all_cameras(pilot)
    result = compare(pilot, policy, cameras)
    assert result.disagreements == []
    assert result.decisions == len(cameras) * len(pilot.agencies) * 6
    assert 0 < result.allowed < result.decisions


def test_generated_departement_slice(generated):
    inv, policy = generated
    cameras = all_cameras(inv)
    assert len(cameras) == 4000
    result = compare(inv, policy, cameras[::40])
    assert result.disagreements == []
    assert result.allowed > 100
