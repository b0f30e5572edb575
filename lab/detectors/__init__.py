"""The lab's detectors: the Pulumi program's declared containers, started on the lab.

`run.py` (`make lab-detectors`) takes `pulumi up --stack lab` when the CLI is
there, else runs the program under Pulumi's mocks and replays what it declared
with the Docker SDK (`replay.py`, over `ssh_docker.py`).
"""
