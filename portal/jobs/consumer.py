"""What the consumer loads: `huey_consumer portal.jobs.consumer.huey` (see the Procfile).

Importing this module creates the portal's app once for the consumer process, from the same
configuration as the web server (instance/config.py and the PORTAL_* environment), makes it the
app every task runs in, and imports every module with tasks.
"""
from __future__ import annotations

from portal import create_app, jobs

app = create_app()
jobs.bind(app)
jobs.load_tasks()
huey = jobs.huey
