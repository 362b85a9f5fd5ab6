"""gunicorn settings for `make bench`, the same for the portal and for the anchors it is compared
with (bench_serving.py adds only --bind): 4 sync workers and no access log, whose writes would
cost the fast anchors more than the portal. The repository's gunicorn.conf.py is not read."""
workers = 4
worker_class = "sync"
accesslog = None
errorlog = "-"
loglevel = "warning"
timeout = 60
# Three servers run side by side: without this each would claim ~/.gunicorn/gunicorn.ctl.
control_socket_disable = True
