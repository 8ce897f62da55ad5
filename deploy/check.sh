#!/bin/bash
# `make deploy-check`: the deployment scripts, for real, on this machine's loopback.
set -eu
set -o pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

usage() {
  cat <<'EOF'
用法：make deploy-check（或以 root 运行 deploy/check.sh）

在本机回环地址上实际走一遍部署：临时 PostgreSQL 集群（以 shequci 用户 initdb，空闲端口）、
deploy/install.sh --prefix 临时目录 --no-systemd --source .（nginx 和 gunicorn 在空闲端口，
自签名证书）、shequ first-run；经 nginx 以 HTTPS 登录（CSRF Cookie + 表单）、下载空白导入模板、
填一个社区后上传导入、导出台账核对；照 cron 文件运行备份和催报任务、恢复演练（restore-drill
合入后）；升级到同一工作树、回退；最后删除它建立的一切。逐步打印用时。

环境变量：PG_BIN（默认 /usr/lib/postgresql/15/bin）、PG_USER（默认 shequci）、
KEEP=1（失败时保留临时目录和进程以便排查，须手动清理）
EOF
}
case ${1:-} in -h | --help) usage; exit 0 ;; '') ;; *) usage >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "deploy-check 须以 root 运行（建立用户、启动 nginx）" >&2; exit 2; }

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=${PG_USER:-shequci}
CHECK_USER=shequ-check
HOST=shequ.test
STREET=500109102 # 澄江镇
PASSWORD=deploy-check-$(openssl rand -hex 6)

for command in nginx openssl curl git logrotate "$PG_BIN/initdb" /usr/bin/python3; do
  command -v "$command" >/dev/null ||
    { echo "缺少 $command（apt-get install -y nginx-light openssl curl git logrotate postgresql-15 python3-venv）" >&2; exit 2; }
done

seconds() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }

T=$(mktemp -d /tmp/shequ-deploy-check.XXXXXX)
chmod 0755 "$T"
P=$T/root # the install's prefix
WRAPPER=$P/usr/local/bin/shequ
COOKIES=$T/cookies
created_users=()

cleanup() {
  local status=$? started
  started=$(date +%s.%N)
  if [ "${KEEP:-0}" = 1 ] && [ "$status" -ne 0 ]; then
    echo "KEEP=1：保留 $T 和其中的进程" >&2
    return
  fi
  [ ! -s "$P/run/shequ/gunicorn.pid" ] || kill -TERM "$(cat "$P/run/shequ/gunicorn.pid")" 2>/dev/null || true
  [ ! -s "$P/run/nginx.pid" ] || kill -QUIT "$(cat "$P/run/nginx.pid")" 2>/dev/null || true
  if [ -d "$T/pg/data" ]; then
    runuser -u "$PG_USER" -- "$PG_BIN/pg_ctl" -D "$T/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  local stopped
  stopped=$(date +%s.%N)
  rm -rf "$T"
  local user
  for user in "${created_users[@]}"; do
    userdel "$user" 2>/dev/null || true
  done
  printf '%6.1f s      清理：停止进程 %.1f s，删除临时目录和用户 %.1f s\n' \
    "$(seconds "$started" "$(date +%s.%N)")" "$(seconds "$started" "$stopped")" \
    "$(seconds "$stopped" "$(date +%s.%N)")"
  [ "$status" -eq 0 ] || echo "deploy-check 失败（退出码 $status）" >&2
}
trap cleanup EXIT

read -r PG_PORT APP_PORT HTTP_PORT HTTPS_PORT < <(/usr/bin/python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
')
ORIGIN=https://$HOST:$HTTPS_PORT
RESOLVE=(--resolve "$HOST:$HTTPS_PORT:127.0.0.1" --resolve "$HOST:$HTTP_PORT:127.0.0.1")
CURL=(curl -sS -k "${RESOLVE[@]}" -b "$COOKIES" -c "$COOKIES")

# ---------------------------------------------------------------- steps and their times

NUMBER=0
TIMES=()
run_step() {
  local name=$1 start end
  shift
  NUMBER=$((NUMBER + 1))
  printf '\n[%d] %s\n' "$NUMBER" "$name"
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  TIMES+=("$(printf '%6.1f s  %2d  %s' "$(seconds "$start" "$end")" "$NUMBER" "$name")")
  printf '    ✓ %.1f s\n' "$(seconds "$start" "$end")"
}
ok() { printf '    %s\n' "$*"; }
fail() { printf '    ✗ %s\n' "$*" >&2; exit 1; }
expect() { # expect WHAT ACTUAL WANTED
  [ "$2" = "$3" ] || fail "$1：得到 “$2”，应为 “$3”"
  ok "$1：$2"
}

# ---------------------------------------------------------------- the steps

postgres() {
  if ! id "$PG_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
    created_users+=("$PG_USER")
  fi
  install -d -o "$PG_USER" -m 0700 "$T/pg"
  runuser -u "$PG_USER" -- "$PG_BIN/initdb" -D "$T/pg/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  runuser -u "$PG_USER" -- "$PG_BIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $T/pg -c fsync=off" start >/dev/null
  ok "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')，127.0.0.1:$PG_PORT"
}

install_step() {
  id "$CHECK_USER" >/dev/null 2>&1 || created_users+=("$CHECK_USER")
  # From a directory the service user may not enter, as root runs it from /root/shequ.
  install -d -m 0700 "$T/root-home"
  (cd "$T/root-home" && "$REPO/deploy/install.sh" --prefix "$P" --no-systemd --source "$REPO" \
    --user "$CHECK_USER" \
    --host "$HOST" --listen 127.0.0.1 --http-port "$HTTP_PORT" --https-port "$HTTPS_PORT" \
    --app-port "$APP_PORT" --workers 2 --pg-port "$PG_PORT" \
    --pg-admin "postgres://postgres@127.0.0.1:$PG_PORT/postgres") 2>&1 | sed 's/^/    /'
  FIRST_RELEASE=$(basename "$(readlink "$P/opt/shequ/current")")
  expect "/etc/shequ 的权限" "$(stat -c '%a %U:%G' "$P/etc/shequ")" "750 root:$CHECK_USER"
  expect "/etc/shequ/env 的权限" "$(stat -c '%a %U:%G' "$P/etc/shequ/env")" "640 root:$CHECK_USER"
  expect "备份目录的权限" "$(stat -c '%a' "$P/var/backups/shequ")" 750
  expect "env 文件中的台帐指纹链密钥（64 位十六进制）" \
    "$(grep -c '^SHEQU_CHAIN_KEY=[0-9a-f]\{64\}$' "$P/etc/shequ/env")" 1
  grep -q '^PATH=.*/usr/sbin' "$P/etc/cron.d/shequ" || fail "cron 文件的 PATH 不含 /usr/sbin"
  ok "cron 文件：PATH 含 /usr/sbin，任务写全路径，输出追加到日志"
}

bureau_certificate() { # a certificate authority of the bureau's, and a certificate it signed
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=check bureau CA" \
    -keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$HOST" -keyout "$T/site.key" -out "$T/site.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\n' "$HOST" >"$T/site.ext"
  openssl x509 -req -in "$T/site.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
    -extfile "$T/site.ext" -out "$T/site.pem" 2>/dev/null
}

install_again_step() {
  local before code=0
  before=$(sha256sum "$P/etc/shequ/env")
  bureau_certificate
  deploy/install.sh --prefix "$P" --no-systemd --source "$REPO" --user "$CHECK_USER" \
    --host "$HOST" --listen 127.0.0.1 --http-port "$HTTP_PORT" --https-port "$HTTPS_PORT" \
    --app-port "$APP_PORT" --workers 2 --pg-port "$PG_PORT" \
    --pg-admin "postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
    --cert "$T/site.pem" --key "$T/ca.key" >"$T/install-again.log" 2>&1 || code=$?
  if [ "$code" -eq 0 ] || ! grep -q '不配对' "$T/install-again.log"; then
    fail "证书和不配对的私钥未被拒绝"
  fi
  ok "证书与私钥不配对：拒绝"
  deploy/install.sh --prefix "$P" --no-systemd --source "$REPO" --user "$CHECK_USER" \
    --host "$HOST" --listen 127.0.0.1 --http-port "$HTTP_PORT" --https-port "$HTTPS_PORT" \
    --app-port "$APP_PORT" --workers 2 --pg-port "$PG_PORT" \
    --pg-admin "postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
    --cert "$T/site.pem" --key "$T/site.key" >"$T/install-again.log" 2>&1
  expect "再次运行后 env 文件" "$(sha256sum "$P/etc/shequ/env")" "$before"
  grep -q '已存在，保持不变' "$T/install-again.log" || fail "再次运行没有说明 env 文件保持不变"
  local verified=000
  for _ in $(seq 1 25); do # nginx's reload is asynchronous: the new workers take a moment
    verified=$(curl -s --cacert "$T/ca.pem" "${RESOLVE[@]}" -o /dev/null -w '%{http_code}' \
      "$ORIGIN/accounts/login/" || true)
    [ "$verified" != 200 ] || break
    sleep 0.2
  done
  expect "换上单位证书后，以单位的根证书核验（不加 -k）" "$verified" 200
}

# The working tree as a release: a clone holding the tree as it is (committed or not), plus
# two test migrations: one adds a column, the next changes every row's households and then
# raises while the marker file exists (an upgrade that fails midway), else does nothing.
FAIL_MARKER=$P/var/lib/shequ/deploy-check-fail-migration
release_repo() {
  local git=(git -C "$T/repo" -c user.name=check -c user.email=check@localhost) last
  git clone -q "$REPO" "$T/repo"
  "${git[@]}" rm -rq .
  (cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -x -C "$T/repo"
  last=$(cd "$T/repo/shequ/ledger/migrations" && find . -name '0*.py' | sort | tail -n 1)
  last=$(basename "$last" .py)
  cat >"$T/repo/shequ/ledger/migrations/9001_deploy_check_column.py" <<EOF
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "$last")]
    operations = [
        migrations.AddField("ledgerrow", "deploy_check", models.CharField(default="", max_length=8)),
    ]
EOF
  cat >"$T/repo/shequ/ledger/migrations/9002_deploy_check_fails_midway.py" <<'EOF'
import os
from pathlib import Path

from django.db import migrations, models


def change_then_fail(apps, schema_editor):
    if (Path(os.environ["SHEQU_VAR_DIR"]) / "deploy-check-fail-migration").exists():
        apps.get_model("ledger", "LedgerRow").objects.update(households=0)
        raise RuntimeError("deploy-check: this migration fails midway, as asked")


class Migration(migrations.Migration):
    dependencies = [("ledger", "9001_deploy_check_column")]
    operations = [
        migrations.AddField("ledgerrow", "deploy_check_2", models.IntegerField(default=7)),
        migrations.RunPython(change_then_fail, migrations.RunPython.noop),
    ]
EOF
  "${git[@]}" add -A
  "${git[@]}" commit -qm "deploy-check: the working tree and two test migrations"
}

release_tags() { # the tag checks of install.sh and upgrade.sh, in a clone with a tag
  local code=0
  release_repo
  git -C "$T/repo" -c user.name=check -c user.email=check@localhost tag -a v2099.01.1 -m check
  git -C "$T/repo" tag v2099.01.2 # lightweight: not a release
  bash -c '. deploy/lib.sh && check_tag "$1" "$2"' check "$T/repo" v2099.01.1 ||
    fail "附注标签 v2099.01.1 未被接受"
  ok "附注标签 v2099.01.1：接受"
  for tag in v2099.01.2 v2099.01.3 2099.01.1 main; do
    code=0
    deploy/upgrade.sh "$tag" --repo "$T/repo" --prefix "$P" >/dev/null 2>"$T/tag.err" || code=$?
    [ "$code" -ne 0 ] || fail "upgrade.sh 接受了 $tag"
    ok "upgrade.sh $tag：拒绝（$(cat "$T/tag.err")）"
  done
}

first_run() {
  printf '%s\n' "$PASSWORD" >"$T/password"
  chmod 0644 "$T/password"
  (cd / && "$WRAPPER" first-run --password-file "$T/password") | sed 's/^/    /'
  (cd / && "$WRAPPER" first-run --password-file "$T/password") | tail -n 1 | sed 's/^/    /'
  PERIOD=$("$WRAPPER" shell -v 0 -c 'from shequ.ledger.models import Period; print(Period.objects.get().code)')
  ok "报告期 $PERIOD"
}

tls_and_redirects() {
  expect "HTTP 跳转" "$(curl -sS "${RESOLVE[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' \
    "http://$HOST:$HTTP_PORT/x?y=1")" "301 $ORIGIN/x?y=1"
  local code=0
  curl -sS -o /dev/null "http://127.0.0.1:$HTTP_PORT/" 2>/dev/null || code=$?
  expect "HTTP 其他主机名（444，不回应）：curl 退出码" "$code" 52
  code=0
  curl -sSk -o /dev/null "https://127.0.0.1:$HTTPS_PORT/" 2>/dev/null || code=$?
  expect "HTTPS 其他主机名（拒绝握手）：curl 退出码" "$code" 35
  expect "TLS 1.2 + HTTP/2" "$(curl -sSk "${RESOLVE[@]}" --tlsv1.2 --tls-max 1.2 --http2 -o /dev/null \
    -w '%{http_code} HTTP/%{http_version}' "$ORIGIN/accounts/login/")" "200 HTTP/2"
  code=0
  curl -sSk "${RESOLVE[@]}" --tlsv1.1 --tls-max 1.1 -o /dev/null "$ORIGIN/accounts/login/" \
    2>/dev/null || code=$?
  [ "$code" -ne 0 ] || fail "TLS 1.1 未被拒绝"
  ok "TLS 1.1：拒绝（curl 退出码 $code）"
  local css
  css=$(curl -sSk "${RESOLVE[@]}" "$ORIGIN/accounts/login/" | grep -o '/static/[^"]*\.css' | head -n 1)
  expect "静态文件 $css" "$(curl -sSk "${RESOLVE[@]}" -o /dev/null -w '%{http_code} %header{cache-control}' \
    "$ORIGIN$css")" "200 public, max-age=2592000, immutable"
}

csrf_token() { grep -o 'name="csrfmiddlewaretoken" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//'; }

login() {
  local token
  token=$("${CURL[@]}" "$ORIGIN/accounts/login/" | csrf_token)
  [ -n "$token" ] || fail "登录页没有 CSRF 令牌"
  expect "登录（表单提交）" "$("${CURL[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' \
    -e "$ORIGIN/accounts/login/" --data-urlencode "csrfmiddlewaretoken=$token" \
    --data-urlencode "username=admin" --data-urlencode "password=$PASSWORD" \
    "$ORIGIN/accounts/login/")" "302 $ORIGIN/"
  logged_in
}

logged_in() { # the home page sends each user on to their start page
  local page
  page=$("${CURL[@]}" -L -w '\n%{http_code} %{url_effective}' "$ORIGIN/")
  expect "已登录：首页转到" "$(tail -n 1 <<<"$page")" "200 $ORIGIN/dashboard/"
  grep -q 'admin' <<<"$page" || fail "页面上没有登录的用户名"
}

workbook() { # workbook fill|check FILE: python of the installed release (openpyxl, calamine)
  "$P/opt/shequ/current/.venv/bin/python" - "$@" <<'PY'
import sys
import openpyxl
from python_calamine import CalamineWorkbook

action, path = sys.argv[1], sys.argv[2]
if action == "fill":  # every community, as a clerk would: households and the centre's area
    book = openpyxl.load_workbook(path)
    first = None
    for ws in book.worksheets:
        for line in range(5, ws.max_row + 1):
            if isinstance(ws[f"A{line}"].value, int):
                ws[f"D{line}"], ws[f"E{line}"], ws[f"F{line}"] = 1234, 321.5, 321.5
                first = first or ws[f"C{line}"].value
    book.save(path)
    print(first)
else:  # the exported ledger: that community's figures
    name = sys.argv[3]
    for sheet in CalamineWorkbook.from_path(path).sheet_names:
        for row in CalamineWorkbook.from_path(path).get_sheet_by_name(sheet).to_python():
            if len(row) > 5 and row[2] == name:
                print(int(row[3]), float(row[5]))
                sys.exit(0)
    sys.exit(f"{name} not in the export")
PY
}

import_export() {
  local base=$ORIGIN/ledger/$PERIOD community token preview apply
  "${CURL[@]}" -o "$T/template.xlsx" -w '' "$base/import/template.xlsx?street=$STREET"
  community=$(workbook fill "$T/template.xlsx")
  ok "空白模板（澄江镇）：每个社区/村填写户数 1234、便民服务中心 321.5㎡"
  token=$("${CURL[@]}" "$base/import/" | csrf_token)
  preview=$("${CURL[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' -e "$base/import/" \
    -F "csrfmiddlewaretoken=$token" -F "street=$STREET" \
    -F "file=@$T/template.xlsx;filename=澄江镇.xlsx" "$base/import/")
  [ "${preview%% *}" = 302 ] || fail "上传：$preview"
  ok "上传：$preview"
  apply=$("${CURL[@]}" "${preview#* }")
  token=$(csrf_token <<<"$apply")
  expect "确认导入（转到澄江镇填报表）" "$("${CURL[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' \
    -e "${preview#* }" --data-urlencode "csrfmiddlewaretoken=$token" "${preview#* }apply/")" \
    "302 $base/$STREET/"
  "${CURL[@]}" -o "$T/export.xlsx" "$base/export.xlsx?street=$STREET"
  expect "导出台账中的 $community" "$(workbook check "$T/export.xlsx" "$community")" "1234 321.5"
  COMMUNITY=$community
}

unit_and_logs() {
  if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify "$P/etc/systemd/system/shequ.service"
    ok "systemd-analyze verify shequ.service：无误"
  else
    ok "跳过 systemd-analyze verify（本机没有 systemd-analyze）"
  fi
  local logs=$P/var/log/shequ
  logrotate -f -s "$T/logrotate.state" "$P/etc/logrotate.d/shequ"
  ls "$logs"/app.log-* "$logs"/nginx-access.log-* >/dev/null || fail "logrotate 没有轮转日志"
  for _ in $(seq 1 25); do # the processes reopen their logs (USR1) in their own time
    "${CURL[@]}" -o /dev/null "$ORIGIN/dashboard/"
    [ ! -s "$logs/gunicorn-access.log" ] || [ ! -s "$logs/nginx-access.log" ] || break
    sleep 0.2
  done
  if [ ! -s "$logs/gunicorn-access.log" ] || [ ! -s "$logs/nginx-access.log" ]; then
    fail "轮转后 gunicorn 或 nginx 没有写入新的日志文件（USR1）"
  fi
  ok "logrotate：已轮转 $(find "$logs" -name '*.log-*' | wc -l) 个日志，gunicorn 和 nginx 写入新文件"
}

cron_command() { # the command of the cron line running NAME, as cron would run it
  sed -n "s|^[0-9*]* *[0-9*]* *\* *\* *\* *root *\(.* $1 .*\)|\1|p" "$P/etc/cron.d/shequ"
}

as_cron() { # as cron runs a line: its PATH, SHELL and TZ, from root's home directory
  (cd ~root && env -i HOME=/root LOGNAME=root SHELL=/bin/sh \
    "$(grep '^PATH=' "$P/etc/cron.d/shequ")" "$(grep '^TZ=' "$P/etc/cron.d/shequ")" /bin/sh -c "$1")
}

backup_job() {
  local command
  command=$(cron_command backup)
  ok "cron 任务：$command"
  as_cron "$command"
  BACKUP=$(find "$P/var/backups/shequ" -maxdepth 1 -type f -name '*.tar*' | head -n 1)
  [ -n "$BACKUP" ] || fail "备份目录中没有备份文件"
  tail -n 1 "$P/var/log/shequ/backup.log" | grep -q '完成' || fail "backup.log 末行不是“完成”"
  local key
  key=$(sed -n 's/^SHEQU_CHAIN_KEY=//p' "$P/etc/shequ/env")
  expect "备份中出现台帐指纹链密钥的次数" "$(tar -xzOf "$BACKUP" | grep -c -a "$key" || true)" 0
  ok "备份：$(basename "$BACKUP")（$(stat -c '%s' "$BACKUP") 字节，权限 $(stat -c '%a' "$BACKUP")）；backup.log：$(grep -c '' "$P/var/log/shequ/backup.log") 行"
}

remind_job() {
  local command
  command=$(cron_command remind)
  ok "cron 任务：$command"
  as_cron "$command"
  tail -n 1 "$P/var/log/shequ/remind.log" | grep -q '完成' || fail "remind.log 末行不是“完成”"
  ok "remind.log：$(grep -v '^===' "$P/var/log/shequ/remind.log" | tail -n 1)"
  local readable
  readable=$(find "$P/var/log/shequ" -type f -perm /o=r -printf '%f ')
  expect "其他用户能读的日志文件" "${readable:-无}" 无
}

restore_drill() { # into a database of its own, next to the live one, which it leaves alone
  (cd / && "$WRAPPER" restore-drill "$BACKUP") | tail -n 1 | sed 's/^/    /'
  local left
  left=$(psql "postgres://postgres@127.0.0.1:$PG_PORT/postgres" -Atc \
    "SELECT count(*) FROM pg_database WHERE datname LIKE 'shequ_drill%'")
  expect "演练后留下的演练数据库" "$left" 0
}

wrapper() {
  local engine
  engine=$(cd ~root && DATABASE_URL="sqlite:///$T/override.sqlite3" SECRET_KEY=ignored \
    "$WRAPPER" shell -v 0 -c 'from django.conf import settings as s; print(s.DATABASES["default"]["ENGINE"].rsplit(".", 1)[1], s.SECRET_KEY == "ignored")')
  expect "从 root 的主目录运行，命令行给的 DATABASE_URL 优先、SECRET_KEY 仍取自 env 文件" "$engine" "sqlite3 False"
}

workers_on() { # every gunicorn worker has loaded its compiled modules from release $1
  local master worker found=0
  master=$(cat "$P/run/shequ/gunicorn.pid")
  for _ in $(seq 1 6); do "${CURL[@]}" -o /dev/null "$ORIGIN/"; done
  for worker in $(pgrep -P "$master"); do
    if grep -q "/releases/$1/" "/proc/$worker/maps"; then found=$((found + 1)); fi
    if grep "/releases/" "/proc/$worker/maps" | grep -vq "/releases/$1/"; then
      fail "工作进程 $worker 载入了其他版本的模块"
    fi
  done
  [ "$found" -gt 0 ] || fail "没有工作进程载入 $1"
  ok "gunicorn 工作进程载入的是 $1（$found 个）"
}

psql_app() { psql "postgres://postgres@127.0.0.1:$PG_PORT/shequ" -Atc "$1"; }

test_migrations() { psql_app "SELECT coalesce(string_agg(name, ' ' ORDER BY name), '无')
  FROM django_migrations WHERE app = 'ledger' AND name LIKE '900%'"; }

failed_upgrade() { # the second test migration raises: the old release, the data, the rollback
  local code=0 filled
  filled=$(psql_app "SELECT count(*) FROM ledger_ledgerrow WHERE households = 1234")
  touch "$FAIL_MARKER"
  deploy/upgrade.sh v2099.01.1 --repo "$T/repo" --prefix "$P" >"$T/upgrade-fail.log" 2>&1 || code=$?
  rm -f "$FAIL_MARKER"
  [ "$code" -ne 0 ] || fail "迁移失败时 upgrade.sh 的退出码为 0"
  grep -q 'RuntimeError：deploy-check' "$T/upgrade-fail.log" || fail "upgrade.sh 的输出中没有迁移的错误"
  ok "upgrade.sh 退出码 $code：$(grep -o '升级在迁移数据库时失败.*' "$T/upgrade-fail.log")"
  expect "迁移失败后运行的版本" "$(basename "$(readlink "$P/opt/shequ/current")")" "$FIRST_RELEASE"
  expect "维护页（经 nginx）" "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$ORIGIN/accounts/login/")" 503
  expect "已执行的测试迁移（出错的那个随它的事务撤销）" "$(test_migrations)" 9001_deploy_check_column
  expect "户数 1234 的行（出错的迁移改过，已撤销）" \
    "$(psql_app "SELECT count(*) FROM ledger_ledgerrow WHERE households = 1234")" "$filled"
  deploy/rollback.sh --prefix "$P" --yes 2>&1 | sed 's/^/    /'
  expect "回退后的版本" "$(basename "$(readlink "$P/opt/shequ/current")")" "$FIRST_RELEASE"
  expect "回退后的测试迁移" "$(test_migrations)" 无
  [ ! -e "$P/var/lib/shequ/maintenance" ] || fail "回退后维护页仍开着"
  workers_on "$FIRST_RELEASE"
  logged_in
}

upgrade() { # to the clone's tag, a second time: its release directory is not built again
  deploy/upgrade.sh v2099.01.1 --repo "$T/repo" --prefix "$P" >"$T/upgrade.log" 2>&1 ||
    { sed 's/^/    /' "$T/upgrade.log"; fail "upgrade.sh 失败"; }
  sed 's/^/    /' "$T/upgrade.log"
  grep -q '已建好（同一提交），不再重建' "$T/upgrade.log" || fail "再次升级到同一标签时重建了版本目录"
  expect "测试迁移" "$(test_migrations)" "9001_deploy_check_column 9002_deploy_check_fails_midway"
  SECOND_RELEASE=$(basename "$(readlink "$P/opt/shequ/current")")
  [ "$SECOND_RELEASE" != "$FIRST_RELEASE" ] || fail "升级后仍是 $FIRST_RELEASE"
  ok "版本目录 $SECOND_RELEASE：$(tr '\n' ' ' <"$P/opt/shequ/releases/$SECOND_RELEASE/RELEASE")"
  [ ! -e "$P/var/lib/shequ/maintenance" ] || fail "维护页仍开着"
  workers_on "$SECOND_RELEASE"
  logged_in
}

rollback() {
  "${CURL[@]}" -o /dev/null "$ORIGIN/" # a request after the backup: lost on rollback, harmless
  deploy/rollback.sh --prefix "$P" --yes 2>&1 | sed 's/^/    /'
  expect "回退后的版本" "$(basename "$(readlink "$P/opt/shequ/current")")" "$FIRST_RELEASE"
  workers_on "$FIRST_RELEASE"
  logged_in
  "${CURL[@]}" -o "$T/export-after.xlsx" "$ORIGIN/ledger/$PERIOD/export.xlsx?street=$STREET"
  expect "回退后导出中的 $COMMUNITY" "$(workbook check "$T/export-after.xlsx" "$COMMUNITY")" "1234 321.5"
}

START=$(date +%s.%N)
run_step "PostgreSQL（initdb，空闲端口）" postgres
run_step "deploy/install.sh --prefix --no-systemd" install_step
run_step "再次运行 install.sh：单位证书，不覆盖 env" install_again_step
run_step "shequ first-run（两次）" first_run
run_step "HTTP 跳转、默认站点、TLS、静态文件" tls_and_redirects
run_step "经 nginx 以 HTTPS 登录" login
run_step "空白模板 → 导入 → 导出（经 nginx）" import_export
run_step "/usr/local/bin/shequ（任意目录，DATABASE_URL）" wrapper
run_step "systemd 单元文件，日志轮转" unit_and_logs
run_step "备份任务（照 cron 文件）" backup_job
run_step "催报任务（照 cron 文件）" remind_job
run_step "恢复演练 shequ restore-drill" restore_drill
run_step "版本标签：只接受附注标签 vYYYY.MM.N" release_tags
run_step "deploy/upgrade.sh：迁移中途失败，deploy/rollback.sh" failed_upgrade
run_step "deploy/upgrade.sh（同一标签，不重建版本目录）" upgrade
run_step "deploy/rollback.sh" rollback
END=$(date +%s.%N)

printf '\n deploy-check 各步用时\n'
printf '%s\n' "${TIMES[@]}"
printf '%6.1f s      合计（另加清理）\n' "$(seconds "$START" "$END")"
