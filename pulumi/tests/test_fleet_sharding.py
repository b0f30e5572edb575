"""Sharding of lawful cameras onto detector hosts (vigie.fleet), on constructed inputs."""

import pytest

from vigie.fleet import CameraRef, DetectorHostRef, FleetError, plan_shards


def cams(site: str, n: int) -> list[CameraRef]:
    return [CameraRef(site_id=site, id=f"cam{i:02d}") for i in range(n)]


def test_every_camera_lands_in_exactly_one_shard_within_size():
    cameras = cams("a", 7) + cams("b", 3) + cams("c", 5)
    plan = plan_shards(cameras, [DetectorHostRef("h1", "a", cores=4)], cameras_per_core=4)
    placed = [c for s in plan.shards for c in s.cameras]
    assert sorted(placed) == sorted(cameras)
    assert len(placed) == len(set(placed))
    assert all(1 <= len(s.cameras) <= 4 for s in plan.shards)
    assert len(plan.shards) <= 4


def test_small_sites_are_not_split_when_they_fit():
    cameras = cams("a", 3) + cams("b", 2) + cams("c", 2) + cams("d", 1)
    plan = plan_shards(cameras, [DetectorHostRef("h1", "a", cores=4)], cameras_per_core=4)
    for site in "abcd":
        shards = {s.index for s in plan.shards for c in s.cameras if c.site_id == site}
        assert len(shards) == 1, f"site {site} split over shards {shards}"
    assert len(plan.shards) == 2


def test_site_larger_than_a_shard_fills_whole_shards_first():
    plan = plan_shards(cams("a", 10), [DetectorHostRef("h1", "a", cores=3)], cameras_per_core=4)
    assert [len(s.cameras) for s in plan.shards] == [4, 4, 2]


def test_cameras_stay_on_their_allowed_hosts_and_free_ones_go_to_the_roomiest():
    hosts = [DetectorHostRef("a-det1", "a", cores=2), DetectorHostRef("b-det1", "b", cores=2)]
    pinned_b = [CameraRef("a", f"p{i}", hosts=("b-det1",)) for i in range(3)]
    cameras = [*pinned_b, CameraRef("b", "c0", hosts=("b-det1",)), *cams("x", 2)]
    plan = plan_shards(cameras, hosts, cameras_per_core=2)
    by_host = {h.host.name: {(c.site_id, c.id) for c in h.cameras} for h in plan.hosts}
    assert {("a", "p0"), ("a", "p1"), ("a", "p2"), ("b", "c0")} <= by_host["b-det1"]
    # x (2 cameras, any host) fits whole only on a-det1 (4 free slots vs 0).
    assert {("x", "cam00"), ("x", "cam01")} <= by_host["a-det1"]


def test_a_camera_whose_hosts_do_not_exist_is_reported():
    cameras = [CameraRef("a", "c0", hosts=("a-det2",))]
    with pytest.raises(FleetError) as err:
        plan_shards(cameras, [DetectorHostRef("a-det1", "a", cores=1)], cameras_per_core=1)
    assert err.value.problems[0].rule == "FLEET-NO-DETECTOR-HOST"
    assert "a-det2" in err.value.problems[0].message


def test_overflow_is_an_operator_error_with_a_rule_id():
    with pytest.raises(FleetError) as err:
        plan_shards(cams("a", 9), [DetectorHostRef("h1", "a", cores=2)], cameras_per_core=4)
    assert err.value.problems[0].rule == "FLEET-CAPACITY"
    assert "1 camera(s) left" in err.value.problems[0].message


def test_cameras_without_any_host_are_an_error():
    with pytest.raises(FleetError) as err:
        plan_shards(cams("a", 1), [], cameras_per_core=4)
    assert err.value.problems[0].rule == "FLEET-NO-DETECTOR-HOST"


def test_plan_is_deterministic_whatever_the_input_order():
    cameras = cams("a", 5) + cams("b", 6) + cams("c", 1)
    hosts = [DetectorHostRef("h2", "z", cores=2), DetectorHostRef("h1", "y", cores=2)]
    one = plan_shards(cameras, hosts, cameras_per_core=4)
    two = plan_shards(list(reversed(cameras)), list(reversed(hosts)), cameras_per_core=4)
    assert one == two


def test_dense_fallback_when_whole_sites_need_more_containers_than_cores():
    # 3 sites of 3 cameras, shards of 4, 3 cores: whole sites need 3 shards -> fits;
    # 4 sites of 3 with 3 cores need 4 whole-site shards > 3 cores -> split densely.
    cameras = [c for s in "abcd" for c in cams(s, 3)]
    plan = plan_shards(cameras, [DetectorHostRef("h", "a", cores=3)], cameras_per_core=4)
    assert [len(s.cameras) for s in plan.shards] == [4, 4, 4]
