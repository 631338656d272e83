# Shared by bench/run and bench/compare (sourced, not run): wrk measurements and small helpers.
# Expects DURATION (e.g. 10s), PORT (Wilkan's port) and WORK (a scratch folder) to be set by the
# script that sources it.
CONNS=64

ms() { # wrk latency ("812.00us", "3.20ms", "1.01s") -> ms
  awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}' <<<"$1"
}
TICKS=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system time of a process, all threads
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; } # the machine's, all cores
# measure wrk-args... -> "rps p50 p99 errors server wrk other" (errors: non-2xx answers and socket
# errors). The last three are CPU microseconds per request: of the process CPU_OF (the server being
# measured), of wrk, and of everything else on the machine (PostgreSQL, the kernel's softirqs that
# no process is charged for); "-" without CPU_OF. The machine's speed moves req/s; what a request
# costs each party shows where its time went.
measure() {
  local out s0 b0 s1 b1
  [ -n "${CPU_OF:-}" ] && s0=$(cpu_ticks "$CPU_OF") && b0=$(busy_ticks)
  out=$(/usr/bin/time -f '%U %S' -o "$WORK/wrk.time" wrk -t2 -c$CONNS -d"$DURATION" --latency "$@")
  [ -n "${CPU_OF:-}" ] && s1=$(cpu_ticks "$CPU_OF") && b1=$(busy_ticks)
  local rps p50 p99 non2xx sock reqs cpu="- - -"
  rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out"); rps=${rps:-0}
  p50=$(ms "$(awk '$1=="50%" {print $2}' <<<"$out")")
  p99=$(ms "$(awk '$1=="99%" {print $2}' <<<"$out")")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out"); non2xx=${non2xx:-0}
  # "  Socket errors: connect 0, read 3, write 0, timeout 12": the line starts with two spaces (so
  # $1 is empty), and the counts are the fields that are numbers.
  sock=$(awk -F'[ ,]+' '/Socket errors/ {n = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) n += $i; print n}' <<<"$out"); sock=${sock:-0}
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  if [ -n "${CPU_OF:-}" ] && [ "${reqs:-0}" -gt 0 ]; then
    cpu=$(awk -v s=$((s1 - s0)) -v b=$((b1 - b0)) -v t="$TICKS" -v n="$reqs" -v w="$(cat "$WORK/wrk.time")" \
      'BEGIN {split(w, x, " "); us = 1e6 / n; wrk = (x[1] + x[2]) * us; srv = s / t * us
              other = b / t * us - srv - wrk; printf "%.1f %.1f %.1f", srv, wrk, (other > 0 ? other : 0)}')
  fi
  echo "$rps $p50 $p99 $((non2xx + sock)) $cpu"
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wait_ready() { # port path: until it answers 2xx (at most 10 s)
  for _ in $(seq 1 2000); do curl -fs "http://127.0.0.1:$1$2" >/dev/null 2>&1 && return 0; sleep 0.005; done; return 1
}
login() { # email -> access token (seed-demo's password)
  curl -fs "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"wilkan-demo\"}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/'
}
# The accounts the HTTP rows use, on a running server: EMP and COACH (tokens of medewerker1 and
# coach1 of the first organisation), $WORK/tokens (100 employees, one per line, for bench/put.lua)
# and PAGE (the first page of the course kwaliteiten).
log_in_bench_accounts() {
  EMP=$(login medewerker1@org1.demo); COACH=$(login coach1@org1.demo)
  : >"$WORK/tokens"
  for i in $(seq 1 100); do echo "$(login "medewerker$i@org1.demo")" >>"$WORK/tokens"; done
  PAGE=$(curl -fs "http://127.0.0.1:$PORT/api/v1/courses/kwaliteiten" -H "authorization: Bearer $EMP" | sed 's/.*"pages":\[{"id":"\([^"]*\)".*/\1/')
}
mails_due() { # database URL -> count of mails the worker should have sent by now
  local q="SELECT count(*) FROM outbox WHERE status = 'queued' AND next_attempt_at <= CURRENT_TIMESTAMP"
  case $1 in
    sqlite://*) local path=${1#sqlite://}; sqlite3 "${path%%\?*}" "$q" ;;
    *) psql "$1" -qAtc "$q" ;;
  esac
}
# A server's first rounds queue the reminders the seeded data makes due, and send them (without an
# SMTP host they become .eml files in the data folder). One server on the seeded database does that
# before anything is measured, so no measured server spends its time on it. The count is read only
# after a few rounds have run, since before the first one nothing is queued yet.
drain_outbox() { # binary, database URL, data folder
  DATABASE_URL="$2" WILKAN_DATA_DIR="$3" WILKAN_MAIL_POLL_MS=100 "$1" serve >/dev/null 2>&1 &
  local pid=$!
  wait_ready "$PORT" /ready
  sleep 1
  for _ in $(seq 1 300); do [ "$(mails_due "$2")" = 0 ] && break; sleep 1; done
  echo "outbox: $(mails_due "$2") mails due"
  kill $pid; wait $pid 2>/dev/null || true
}
