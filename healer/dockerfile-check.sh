#!/usr/bin/env bash
# Replays healer/Dockerfile without Docker, then proves the result runs.
#
# Each stage gets its own directory under a temp dir, standing in for its filesystem: FROM starts a
# stage (the host's Node stands in for the base image), WORKDIR/ENV are tracked, COPY copies from the
# build context (the repository root) or from an earlier stage, RUN runs the exact command in the
# stage's WORKDIR. The commands are read from the Dockerfile itself, so they cannot drift apart.
# Then the final stage is checked the way the image would be used:
#   - only production dependencies are present (no typescript, no @types);
#   - the entry point exits 2 with a message naming the variable on bad configuration;
#   - with a valid configuration it serves /healthz, and on SIGTERM it stops cleanly with exit 0.
# Exits non-zero on the first failure. Usage: healer/dockerfile-check.sh   (from anywhere)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
context="$(dirname "$here")"
dockerfile="$here/Dockerfile"
work="$(mktemp -d "${TMPDIR:-/tmp}/healer-dockerfile-check.XXXXXX")"
healer_pid=""
cleanup() {
  if [[ -n "$healer_pid" ]] && kill -0 "$healer_pid" 2>/dev/null; then kill -KILL "$healer_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "dockerfile-check: FAILED: $*" >&2; exit 1; }
step() { echo "dockerfile-check: $*" >&2; }

node_major="$(node -p 'process.versions.node.split(".")[0]')"
node_minor="$(node -p 'process.versions.node.split(".")[1]')"
if (( node_major < 20 || (node_major == 20 && node_minor < 19) )); then
  fail "Node $(node --version) stands in for the base image node:20; need >= 20.19"
fi

stage=""
root=""
workdir="/"
env_vars=()
entrypoint=""
declare -A stage_roots=()

# Resolves a path inside the current stage (relative paths are relative to WORKDIR).
in_stage() {
  local path="$1"
  if [[ "$path" == /* ]]; then echo "$root$path"; else echo "$root${workdir%/}/$path"; fi
}

copy_into() {
  local source="$1" destination="$2" into_dir="$3"
  [[ -e "$source" ]] || fail "COPY source not found: $source"
  if [[ -d "$source" ]]; then
    mkdir -p "$destination"
    cp -a "$source/." "$destination/"
  elif [[ "$into_dir" == "yes" ]]; then
    mkdir -p "$destination"
    cp -a "$source" "$destination/"
  else
    mkdir -p "$(dirname "$destination")"
    cp -a "$source" "$destination"
  fi
}

line_number=0
while IFS= read -r line || [[ -n "$line" ]]; do
  line_number=$((line_number + 1))
  [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
  [[ "$line" == *\\ ]] && fail "Dockerfile:$line_number: line continuations are not supported by this check; keep instructions on one line"
  instruction="${line%%[[:space:]]*}"
  arguments="${line#"$instruction"}"
  arguments="${arguments#"${arguments%%[![:space:]]*}"}"
  case "${instruction^^}" in
    FROM)
      read -r -a words <<< "$arguments"
      stage="final-$line_number"
      if (( ${#words[@]} >= 3 )) && [[ "${words[1]^^}" == "AS" ]]; then stage="${words[2]}"; fi
      root="$work/stages/$stage"
      mkdir -p "$root"
      stage_roots["$stage"]="$root"
      workdir="/"
      env_vars=()
      step "FROM ${words[0]} (stage $stage; host Node $(node --version) stands in)"
      ;;
    WORKDIR)
      if [[ "$arguments" == /* ]]; then workdir="$arguments"; else workdir="${workdir%/}/$arguments"; fi
      mkdir -p "$root$workdir"
      ;;
    ENV)
      env_vars+=("$arguments")
      ;;
    COPY)
      read -r -a words <<< "$arguments"
      from=""
      if [[ "${words[0]}" == --from=* ]]; then
        from="${words[0]#--from=}"
        words=("${words[@]:1}")
      fi
      (( ${#words[@]} >= 2 )) || fail "Dockerfile:$line_number: COPY needs a source and a destination"
      destination_word="${words[-1]}"
      sources=("${words[@]:0:${#words[@]}-1}")
      destination="$(in_stage "$destination_word")"
      into_dir="no"
      if [[ "$destination_word" == */ || ${#sources[@]} -gt 1 ]]; then into_dir="yes"; fi
      for source in "${sources[@]}"; do
        if [[ -n "$from" ]]; then
          [[ -n "${stage_roots[$from]:-}" ]] || fail "Dockerfile:$line_number: unknown stage $from"
          copy_into "${stage_roots[$from]}$source" "$destination" "$into_dir"
        else
          copy_into "$context/$source" "$destination" "$into_dir"
        fi
      done
      ;;
    RUN)
      [[ "$arguments" == \[* ]] && fail "Dockerfile:$line_number: exec-form RUN is not supported by this check"
      step "RUN $arguments"
      (cd "$root$workdir" && env ${env_vars[@]+"${env_vars[@]}"} sh -ec "$arguments") || fail "Dockerfile:$line_number: RUN $arguments"
      ;;
    ENTRYPOINT)
      entrypoint="$arguments"
      ;;
    USER | EXPOSE | CMD | LABEL | ARG)
      ;;
    *)
      fail "Dockerfile:$line_number: instruction $instruction is not supported by this check"
      ;;
  esac
done < "$dockerfile"

[[ -n "$entrypoint" ]] || fail "the Dockerfile has no ENTRYPOINT"
final="$root$workdir"
# The exec-form ENTRYPOINT as an argument list.
mapfile -t command < <(node -e 'for (const word of JSON.parse(process.argv[1])) console.log(word)' "$entrypoint")
[[ "${command[0]}" == "node" ]] || fail "expected the ENTRYPOINT to start node, found ${command[0]}"

step "final image: production dependencies only"
# Whatever the lockfile marks dev-only (typescript; @types/node stays: @kubernetes/client-node depends on it at run time).
dev_present="$(node -e '
  const fs = require("fs"), path = require("path");
  const lock = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).packages;
  const present = Object.keys(lock).filter((key) => key.startsWith("node_modules/") && lock[key].dev && fs.existsSync(path.join(process.argv[2], key)));
  console.log(present.join(" "));
' "$here/package-lock.json" "$final")"
[[ -z "$dev_present" ]] || fail "development dependencies in the final image: $dev_present"
[[ ! -e "$final/node_modules/typescript" ]] || fail "typescript is in the final image"
for runtime in @kubernetes/client-node kafkajs pino prom-client zod; do
  [[ -e "$final/node_modules/$runtime/package.json" ]] || fail "runtime dependency $runtime is missing from the final image"
done

step "entry point rejects a bad configuration with exit 2, naming the variable"
set +e
output="$(cd "$final" && env -i PATH="$PATH" HOME="$work" ${env_vars[@]+"${env_vars[@]}"} HEALER_SILENCE_THRESHOLD=banana "${command[@]}" 2>&1)"
status=$?
set -e
[[ $status -eq 2 ]] || fail "expected exit 2 on bad configuration, got $status: $output"
[[ "$output" == *"KAFKA_BROKERS: is required"* && "$output" == *"HEALER_SILENCE_THRESHOLD"* ]] || fail "configuration error does not name the variables: $output"

step "entry point serves /healthz and stops cleanly on SIGTERM"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
cat > "$work/kubeconfig" <<EOF_KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
EOF_KUBECONFIG
(cd "$final" && exec env -i PATH="$PATH" HOME="$work" ${env_vars[@]+"${env_vars[@]}"} KUBECONFIG="$work/kubeconfig" KAFKA_BROKERS=127.0.0.1:1 \
  LISTEN_HOST=127.0.0.1 HEALER_HTTP_PORT="$port" POD_NAME=dockerfile-check LOG_LEVEL=warn "${command[@]}" > "$work/healer.log" 2>&1) &
healer_pid=$!
healthy=""
for _ in $(seq 1 100); do
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' "http://127.0.0.1:$port/healthz"; then
    healthy="yes"
    break
  fi
  kill -0 "$healer_pid" 2>/dev/null || fail "the healer exited early: $(cat "$work/healer.log")"
  sleep 0.2
done
[[ -n "$healthy" ]] || fail "/healthz did not answer 200 within 20 s: $(cat "$work/healer.log")"
node -e 'fetch(process.argv[1]).then(async r=>{const t=await r.text();process.exit(r.status===200&&t.includes("healer_leader")?0:1)},()=>process.exit(1))' "http://127.0.0.1:$port/metrics" \
  || fail "/metrics does not serve the healer's metrics"
kill -TERM "$healer_pid"
set +e
for _ in $(seq 1 150); do
  kill -0 "$healer_pid" 2>/dev/null || break
  sleep 0.2
done
if kill -0 "$healer_pid" 2>/dev/null; then fail "the healer did not stop within 30 s of SIGTERM: $(cat "$work/healer.log")"; fi
wait "$healer_pid"
status=$?
set -e
healer_pid=""
[[ $status -eq 0 ]] || fail "expected exit 0 after SIGTERM, got $status: $(cat "$work/healer.log")"

echo "dockerfile-check: OK (Dockerfile replayed, production-only dependencies, bad config exits 2, /healthz served, SIGTERM exits 0)"
