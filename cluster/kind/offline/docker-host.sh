#!/usr/bin/env bash
# Makes this host a Docker engine that can run kind's privileged node containers, offline:
#   1. installs Debian's docker.io (and jq, debootstrap) with apt-get when missing;
#   2. only when the capability bounding set lacks CAP_SYS_RESOURCE (nested/sandboxed Docker): installs
#      the OCI runtime shim runc-no-sys-resource (next to this script) and makes it Docker's default runtime
#      in /etc/docker/daemon.json (other keys of that file are kept);
#   3. starts dockerd in the background when `docker info` does not answer (no systemd here), pid in
#      $CHAOSLAB_DOCKERD_PID (default /run/chaoslab-dockerd.pid), log in $CHAOSLAB_DOCKERD_LOG;
#   4. waits until `docker info` answers, then checks that a privileged container starts.
# Stop what it started: `cluster/kind/offline/docker-host.sh stop` (kills the recorded pid only).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pid_file=${CHAOSLAB_DOCKERD_PID:-/run/chaoslab-dockerd.pid}
log_file=${CHAOSLAB_DOCKERD_LOG:-/var/log/chaoslab-dockerd.log}
daemon_json=${CHAOSLAB_DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}
shim_target=/usr/local/libexec/chaoslab/runc-no-sys-resource
runtime_name=runc-no-sys-resource

step() { printf '[docker-host] %s\n' "$*" >&2; }
fail() { printf '[docker-host] ERROR: %s\n  What to do: %s\n' "$1" "$2" >&2; exit 1; }

stop_dockerd() {
  if [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    local pid; pid=$(cat "$pid_file")
    step "stopping dockerd (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    rm -f "$pid_file"
  else
    step "no dockerd started by this script is running ($pid_file)"
  fi
}

if [[ ${1:-} == stop ]]; then stop_dockerd; exit 0; fi

# 1. packages
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v jq >/dev/null || missing+=(jq)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || fail "missing ${missing[*]} and not root" "run as root, or: sudo apt-get install ${missing[*]}"
  command -v apt-get >/dev/null || fail "missing ${missing[*]} and no apt-get (not Debian/Ubuntu)" "install a Docker engine, jq and debootstrap with your package manager"
  step "apt-get install ${missing[*]}"
  started=$SECONDS
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/chaoslab-apt.log 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update >>/tmp/chaoslab-apt.log 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/chaoslab-apt.log 2>&1; } ||
    fail "apt-get install ${missing[*]} failed (log: /tmp/chaoslab-apt.log)" "check that the Debian mirror answers (apt-get update), then run this script again"
  step "installed ${missing[*]} in $((SECONDS - started))s"
fi

# 2. the runtime shim, only where the bounding set lacks CAP_SYS_RESOURCE (capability 24)
cap_bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
if (( (16#$cap_bnd >> 24) & 1 )); then
  step "CapBnd has CAP_SYS_RESOURCE: Docker's own runc is used"
  want_runtime=""
else
  step "CapBnd ($cap_bnd) lacks CAP_SYS_RESOURCE: installing the $runtime_name runtime shim"
  want_runtime=$runtime_name
  install -D -m 0755 "$here/runc-no-sys-resource" "$shim_target"
  mkdir -p "$(dirname "$daemon_json")"
  current='{}'
  if [[ -s $daemon_json ]]; then
    current=$(jq . "$daemon_json") || fail "$daemon_json is not valid JSON" "fix or remove $daemon_json, then run this script again"
  fi
  updated=$(jq --arg name "$runtime_name" --arg path "$shim_target" \
    '.runtimes[$name] = {path: $path} | .["default-runtime"] = $name' <<<"$current")
  if [[ $updated != "$current" ]]; then
    printf '%s\n' "$updated" >"$daemon_json"
    step "registered $runtime_name in $daemon_json"
    if docker info >/dev/null 2>&1; then
      if [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
        kill -HUP "$(cat "$pid_file")" # dockerd reloads `runtimes` and `default-runtime` on SIGHUP
        sleep 1
      else
        fail "a Docker engine not started by this script is running without the $runtime_name runtime" \
          "restart it so it reads $daemon_json (e.g. systemctl restart docker, or kill -HUP <dockerd pid>)"
      fi
    fi
  fi
fi

# 3. dockerd
if ! docker info >/dev/null 2>&1; then
  [[ $(id -u) == 0 ]] || fail "no Docker engine answers and only root can start dockerd here" "run as root, or start Docker yourself"
  step "starting dockerd in the background (log: $log_file)"
  nohup dockerd --config-file "$daemon_json" >"$log_file" 2>&1 &
  echo $! >"$pid_file"
  started=$SECONDS
  until docker info >/dev/null 2>&1; do
    kill -0 "$(cat "$pid_file")" 2>/dev/null ||
      fail "dockerd exited at start; last lines of $log_file:
$(tail -n 15 "$log_file")" "fix the cause above (a stale /var/run/docker.pid, a storage driver problem), then run this script again"
    ((SECONDS - started < 60)) || fail "dockerd did not answer within 60s (log: $log_file)" "look at $log_file"
    sleep 0.5
  done
  step "dockerd answers after $((SECONDS - started))s (pid $(cat "$pid_file"); stop: $0 stop)"
else
  step "a Docker engine already answers"
fi

if [[ -n $want_runtime ]]; then
  default_runtime=$(docker info --format '{{.DefaultRuntime}}')
  [[ $default_runtime == "$want_runtime" ]] ||
    fail "the Docker engine's default runtime is $default_runtime, not $want_runtime" "restart dockerd so it reads $daemon_json"
fi

# 4. a privileged container must start (what every kind node is). No image can be pulled here: the probe
# image holds only Debian's static tini (shipped with docker.io as docker-init), run as `tini --version`.
if ! docker image inspect chaoslab/privileged-probe:1 >/dev/null 2>&1; then
  tar -C /usr/bin -chf - tini-static | docker import -c 'ENTRYPOINT ["/tini-static", "--version"]' - chaoslab/privileged-probe:1 >/dev/null
fi
if ! out=$(docker run --rm --privileged --network none chaoslab/privileged-probe:1 2>&1); then
  fail "the Docker engine refuses privileged containers: $out" \
    "kind's nodes are privileged containers. Where the host's capability bounding set lacks a capability, register an OCI runtime shim like $here/runc-no-sys-resource (this script does it for CAP_SYS_RESOURCE); otherwise allow privileged containers in the engine"
fi
step "privileged containers start: ready for kind"
