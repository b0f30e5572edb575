"""`vigie generate OUTDIR --cameras N --seed S`: a synthetic département that validates.

Every commune of the Yvelines gets a town-hall site recorded at the datacenter;
collèges, departmental buildings and SDIS stations bring the total to about
500 sites. One point of presence per EPCI hangs off the datacenter with a
10 Gbit/s segment (sized so 70 % is never exceeded at the requested N). The
output is deterministic for a given (N, seed): same bytes, same lock file.

The output directory is new or empty; an existing one is replaced (removed
first, with everything in it) only when asked (`replace=True`, `--replace`),
and never when it is, or holds, the working directory.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from vigie.geography import reference

DEPARTMENTAL_SITES = (
    ("college", 120, "col"),
    ("departmental_building", 60, "bat"),
    ("sdis_station", 60, "sdis"),
)
AREAS = ("entrance", "corridor", "perimeter", "parking", "hall", "yard")
AUTH_DEPT, AUTH_SDIS = "AP-78-SYN-DEPT", "AP-78-SYN-SDIS"
BITRATE = 2048
# Fixed dates keep the output byte-identical; they are valid until the end of 2029.
VALIDITY = "issued: 2025-01-01, expires: 2029-12-31"
RETENTION = {"college": 7, "departmental_building": 15, "sdis_station": 30, "commune_building": 15}


def _disk_gb(cameras: int, days: int) -> int:
    need = cameras * BITRATE * 1000 / 8 * 86_400 * days / 1e9 * 1.2
    return max(500, int(need) + 100)


def _camera_lines(ids: list[str], rng: random.Random, kind: str) -> list[str]:
    lines = []
    for cid in ids:
        area = rng.choice(AREAS)
        if kind in {"college", "departmental_building"} and rng.random() < 0.5:
            lines.append(
                f"      - {{id: {cid}, area: {area}, detection: {{classes: [intrusion, tamper]}}}}"
            )
        else:
            lines.append(f"      - {{id: {cid}, area: {area}}}")
    return lines


class Refused(Exception):
    """The output directory cannot be written as asked; nothing was touched."""


def prepare(outdir: Path, *, replace: bool = False) -> None:
    """Make `outdir` an empty directory, or refuse (Refused) having touched nothing."""
    if outdir.is_symlink() or (outdir.exists() and not outdir.is_dir()):
        raise Refused(f"{outdir} exists and is not a directory: choose a directory")
    if outdir.is_dir():
        entries = sorted(p.name for p in outdir.iterdir())
        if entries and not replace:
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            raise Refused(
                f"{outdir} is not empty ({shown}): writing there would delete it all; "
                "choose a new or empty directory, or add --replace to replace it"
            )
        here = Path.cwd().resolve()
        if entries and (here == outdir.resolve() or outdir.resolve() in here.parents):
            raise Refused(f"{outdir} holds the working directory: it is never replaced")
        shutil.rmtree(outdir)


def generate(outdir: Path, *, cameras: int, seed: int, replace: bool = False) -> dict[str, int]:
    rng = random.Random(seed)
    ref = reference()
    prepare(outdir, replace=replace)
    (outdir / "sites").mkdir(parents=True)
    communes = sorted(ref.communes.values(), key=lambda c: c.insee)
    epcis = sorted(ref.epcis)

    # Sites: one per commune, then the departmental ones spread over communes.
    sites: list[dict] = []
    for c in communes:
        sites.append(
            {
                "id": f"mairie-{c.insee}",
                "kind": "commune_building",
                "insee": c.insee,
                "name": f"Mairie de {c.name}",
            }
        )
    for kind, count, prefix in DEPARTMENTAL_SITES:
        for i in range(count):
            c = communes[rng.randrange(len(communes))]
            sites.append(
                {
                    "id": f"{prefix}-{i + 1:03d}",
                    "kind": kind,
                    "insee": c.insee,
                    "name": f"{kind} {i + 1} ({c.name})",
                }
            )
    # Spread cameras: at least one per site, the rest weighted at random.
    counts = [1] * len(sites)
    weights = [rng.uniform(0.5, 2.0) for _ in sites]
    for index in rng.choices(range(len(sites)), weights=weights, k=max(0, cameras - len(sites))):
        counts[index] += 1
    if cameras < len(sites):
        counts = [1 if i < cameras else 0 for i in range(len(sites))]

    dept_cams = 0
    dc_cameras_by_recorder: dict[int, int] = {}
    site_files: dict[str, list[str]] = {}
    for site, n in zip(sites, counts, strict=True):
        if n == 0:
            continue
        epci = ref.communes[site["insee"]].epci or epcis[0]
        kind = site["kind"]
        ids = [f"cam{k + 1:03d}" for k in range(n)]
        defaults = f"retention_days: {RETENTION[kind]}"
        if kind == "commune_building":
            # Communes record at the datacenter, spread over its 8 recorders.
            recorder = int(site["insee"]) % 8 + 1
            dc_cameras_by_recorder[recorder] = dc_cameras_by_recorder.get(recorder, 0) + n
            defaults += f", recorder: {recorder}"
        lines = [
            f"  - id: {site['id']}",
            f'    name: "{site["name"]}"',
            f"    kind: {kind}",
            f'    insee: "{site["insee"]}"',
            f"    authorisation: {AUTH_SDIS if kind == 'sdis_station' else AUTH_DEPT}",
            f"    uplink: pop-{epci}",
            "    opening_hours: Mo-Fr 07:30-18:30",
            f"    camera_defaults: {{{defaults}}}",
        ]
        if kind == "commune_building":
            lines.append("    recorded_at: dc")
        else:
            dept_cams += n
            lines.append(f"    recorders: [{{id: 1, disk_gb: {_disk_gb(n, RETENTION[kind])}}}]")
            if kind in {"college", "departmental_building"}:
                lines.append("    detector_hosts: [{id: 1}]")
        lines.append(
            "    transmissions: [{agency: cd78-supervision, decision: %s}]"
            % (AUTH_SDIS if kind == "sdis_station" else AUTH_DEPT)
        )
        lines.append("    cameras:")
        lines += _camera_lines(ids, rng, kind)
        site_files[site["id"]] = lines

    for sid, lines in site_files.items():
        (outdir / "sites" / f"{sid}.yml").write_text(
            "sites:\n" + "\n".join(lines) + "\n", encoding="utf-8"
        )
    recorders = ", ".join(
        f"{{id: {r}, disk_gb: {_disk_gb(dc_cameras_by_recorder.get(r, 0), 15)}}}"
        for r in range(1, 9)
    )
    (outdir / "sites" / "dc.yml").write_text(
        'sites:\n  - id: dc\n    name: Datacenter\n    kind: datacenter\n    insee: "78297"\n'
        f"    authorisation: {AUTH_DEPT}\n    uplink: dc\n    recorders: [{recorders}]\n",
        encoding="utf-8",
    )

    per_pop_mbps = cameras * BITRATE * 2 / 1000  # generous: every stream could cross one segment
    capacity = max(10_000, int(per_pop_mbps / 0.7) + 1000)
    pops = [
        "points_of_presence:",
        '  - {id: dc, name: Datacenter, insee: "78297", kind: datacenter}',
    ]
    segs = ["segments:"]
    for e in epcis:
        member = sorted(ref.epcis[e].members & ref.communes.keys())[0]
        pops.append(f'  - {{id: pop-{e}, name: "PoP {ref.epcis[e].name}", insee: "{member}"}}')
        segs.append(
            f"  - {{id: seg-{e}, ends: [dc, pop-{e}], capacity_mbps: {capacity}, length_m: 20000}}"
        )
    (outdir / "fibre.yml").write_text("\n".join(pops + segs) + "\n", encoding="utf-8")

    force = "\n".join(
        f'  "{c.insee}": {"police" if c.population > 20000 else "gendarmerie"}' for c in communes
    )
    (outdir / "agencies.yml").write_text(
        "agencies:\n  - {id: cd78-supervision, name: Supervision, kind: departement}\n"
        f"competent_force:\n{force}\nauthorisations:\n"
        f"  - {{id: {AUTH_DEPT}, holder: Département, {VALIDITY}, retention_days: 15}}\n"
        f"  - {{id: {AUTH_SDIS}, holder: SDIS, {VALIDITY}, retention_days: 30}}\n",
        encoding="utf-8",
    )
    (outdir / "departement.yml").write_text(
        'departement:\n  code: "78"\n  name: Yvelines (synthetic)\n  supernet: 10.128.0.0/12\n'
        "  admin_prefix: 10.78.0.0/24\n  ntp_servers: [10.78.0.11]\n"
        "  camera_models:\n    - id: Synthetic\n"
        "      analysis_stream: {path: /stream2, resolution: 640x360, fps: 5}\n"
        "  defaults:\n    camera:\n"
        "      model: Synthetic\n      resolution: 1920x1080\n      fps: 12\n"
        f"      bitrate_kbps: {BITRATE}\n"
        "      retention_days: 15\n      purposes: [public_buildings]\n"
        "      films_public_road: false\n",
        encoding="utf-8",
    )
    (outdir / "vigie.yml").write_text("plugin: vigie\n", encoding="utf-8")
    return {"sites": len(site_files) + 1, "cameras": sum(counts), "communes": len(communes)}
