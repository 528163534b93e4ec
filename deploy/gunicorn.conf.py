"""gunicorn settings for Alta behind nginx (deploy/systemd/alta-web.service loads this file).

Read by gunicorn, not by Alta: Alta's own settings stay in ALTA_CONFIG. The few values an
installation changes come from the unit's environment:

- ALTA_BIND: where gunicorn listens (default 127.0.0.1:8000; nginx proxies to it). Keep it
  on loopback or a unix socket (``unix:/run/alta/web.sock``): only nginx may reach it, since
  [app].trusted_proxies = 1 makes Alta believe the X-Forwarded-For of whoever connects.
- ALTA_WEB_WORKERS: worker processes (default 2 per core + 1).
- ALTA_WEB_TIMEOUT: seconds a request may take before its worker is replaced (default 60:
  the oficio PDFs and exports are the slowest pages).
"""

import multiprocessing
import os

wsgi_app = "provisioning:create_app()"
bind = [os.environ.get("ALTA_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("ALTA_WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
timeout = int(os.environ.get("ALTA_WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Each worker builds its own app (and database pool) after the fork: no connection is ever
# shared between processes.
preload_app = False
# Recycle workers now and then (bounded memory growth); the jitter keeps them from
# restarting together.
max_requests = 2000
max_requests_jitter = 200
# Alta reads the client address with ProxyFix ([app].trusted_proxies); gunicorn itself only
# trusts X-Forwarded-Proto from the local nginx.
forwarded_allow_ips = "127.0.0.1,::1"
# Logs go to standard error, which systemd hands to the journal. The access log line has no
# query string: Alta never puts a secret in a URL, and this keeps it that way in the logs.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("ALTA_WEB_LOG_LEVEL", "info")
# The last field is nginx's request id: the same one Alta's JSON log lines carry.
access_log_format = '%({x-forwarded-for}i)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms %({x-request-id}i)s'
proc_name = "alta-web"
