#!/usr/bin/env bash
# Starts a real buildbot 3.7 master and worker (Debian's `buildbot` and
# `buildbot-worker`) on 127.0.0.1 under DIR, building pushes to local hg
# repositories, for the buildbot integration tests and benchmarks.
#
#   start-buildbot.sh DIR WWW_PORT PB_PORT BUILDERS_PY
#
# BUILDERS_PY is a Python fragment that master.cfg executes; it must fill
# `ci_builders` (util.BuilderConfig on worker "w1") and `ci_schedulers`.
# The REST API then answers on http://127.0.0.1:WWW_PORT/api/v2 and pushes are
# fed to http://127.0.0.1:WWW_PORT/change_hook/base (an hg changegroup hook:
# see hg_hook_for below). Stop with stop-buildbot.sh DIR.
#
# Debian ships no buildbot-www and the master refuses to start with c['www']
# set without it, so a stub UI package goes on PYTHONPATH (see INFRA.md).
set -euo pipefail

dir=$1 www_port=$2 pb_port=$3 builders_py=$4
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# The stub web UI plugin.
stub="$dir/pylib"
mkdir -p "$stub/buildbot_www/static" "$stub/buildbot_www-3.7.0.dist-info"
cat >"$stub/buildbot_www/__init__.py" <<'EOF'
from buildbot.www.plugin import Application
ep = Application(__name__, "stub UI (autoland tests)")
EOF
echo "3.7.0" >"$stub/buildbot_www/VERSION"
echo "<html><body>autoland test master</body></html>" >"$stub/buildbot_www/static/index.html"
printf 'Metadata-Version: 2.1\nName: buildbot-www\nVersion: 3.7.0\n' >"$stub/buildbot_www-3.7.0.dist-info/METADATA"
printf '[buildbot.www]\nbase = buildbot_www:ep\n' >"$stub/buildbot_www-3.7.0.dist-info/entry_points.txt"
export PYTHONPATH="$stub${PYTHONPATH:+:$PYTHONPATH}"
# Debian's python, whatever python3 comes first on PATH.
export PATH="/usr/bin:$PATH"

rm -rf "$dir/master" "$dir/worker"
buildbot create-master -q "$dir/master" >/dev/null
cat >"$dir/master/master.cfg" <<EOF
from buildbot.plugins import *
c = BuildmasterConfig = {}
c['buildbotNetUsageData'] = None
# autoland needs a build of every push: a request collapsed into another
# push's would leave this one untested.
c['collapseRequests'] = False
c['title'] = 'autoland test CI'
c['buildbotURL'] = 'http://127.0.0.1:${www_port}/'
c['protocols'] = {'pb': {'port': 'tcp:${pb_port}:interface=127.0.0.1'}}
c['workers'] = [worker.Worker('w1', 'pass', max_builds=4)]
c['db'] = {'db_url': 'sqlite:///state.sqlite'}
c['www'] = {'port': 'tcp:${www_port}:interface=127.0.0.1', 'change_hook_dialects': {'base': True}}
c['change_source'] = []
ci_builders = []
ci_schedulers = []
exec(open('${builders_py}').read())
c["builders"] = ci_builders
c["schedulers"] = ci_schedulers
EOF
buildbot start "$dir/master" >"$dir/master-start.log" 2>&1 || {
  echo "start-buildbot: the master did not start:" >&2
  tail -30 "$dir/master/twistd.log" >&2 || true
  exit 1
}

buildbot-worker create-worker -q "$dir/worker" "127.0.0.1:${pb_port}" w1 pass >/dev/null
buildbot-worker start --quiet "$dir/worker" >"$dir/worker-start.log" 2>&1 || {
  echo "start-buildbot: the worker did not start:" >&2
  tail -30 "$dir/worker/twistd.log" >&2 || true
  exit 1
}

# Ready when the worker is connected (builds can run).
for _ in $(seq 1 150); do
  if curl -sf "http://127.0.0.1:${www_port}/api/v2/workers" 2>/dev/null | python3 -c \
    'import json,sys; sys.exit(0 if any(w["connected_to"] for w in json.load(sys.stdin)["workers"]) else 1)' 2>/dev/null; then
    echo "start-buildbot: master on 127.0.0.1:${www_port}, worker connected"
    exit 0
  fi
  sleep 0.1
done
echo "start-buildbot: the worker did not connect within 15 s" >&2
tail -20 "$dir/master/twistd.log" >&2 || true
exit 1
