"""Callback for the benchmark: exit as soon as the first task starts.

Everything before it (inventory parsing, --limit, variable managers, play
compilation) is what an operator waits for before anything happens.
"""

from __future__ import annotations

import os
import sys

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: first_task
type: aggregate
short_description: stop the run when the first task starts (benchmark only)
description:
  - Prints the first task's name and exits the process with status 0.
options: {}
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "first_task"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_task_start(self, task, is_conditional):
        sys.stdout.write(f"first task: {task.get_name()}\n")
        sys.stdout.flush()
        os._exit(0)
