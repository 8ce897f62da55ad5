#!/bin/bash
# Install shequ on a fresh Debian 12 server, as root (docs/deployment.md, ADR 0033).
# Run again to repair: the env file, the TLS certificate and the database are kept.
set -eu
set -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/lib.sh
. "$HERE/lib.sh"

usage() {
  cat <<'EOF'
用法：deploy/install.sh --tag vYYYY.MM.N --host 域名 [选项]
      deploy/install.sh --source 目录 --host 域名 [选项]

在全新的 Debian 12 上以 root 安装 shequ：系统软件包、服务用户、目录、/etc/shequ/env（生成密钥，
已有则不动）、PostgreSQL 用户和数据库、TLS 证书、nginx 站点、gunicorn 服务、定时任务、日志轮转
和 /usr/local/bin/shequ。重复运行是安全的。装好后运行 shequ first-run。

版本：
  --tag TAG            安装代码仓库中的附注标签 TAG（vYYYY.MM.N），仓库默认是本脚本所在的仓库
  --repo DIR           从该 git 仓库取标签
  --source DIR         安装该目录的工作树（测试用；版本名为 src-时间）

站点：
  --host NAME          访问用的主机名（默认 hostname -f），写入证书、nginx 和 ALLOWED_HOSTS
  --district NAME      区县全称（默认 重庆市北碚区）
  --cert FILE --key FILE  使用单位的证书（PEM，含中间证书）和私钥；不给则生成自签名证书
  --http-port N        HTTP 端口（默认 80，只做跳转）
  --https-port N       HTTPS 端口（默认 443）
  --listen ADDR        nginx 只监听该地址（默认全部地址）
  --app-port N         gunicorn 监听 127.0.0.1 的端口（默认 8000）
  --workers N          gunicorn 工作进程数（默认 2 × CPU 核数 + 1，最多 9）
  --timezone TZ        系统时区，定时任务按它执行（默认 Asia/Shanghai）

数据库：
  --pg-port N          PostgreSQL 端口（默认 5432）
  --pg-admin URL       以该超级用户连接串建立用户和数据库（默认：以系统用户 postgres 经本机套接字）

测试安装：
  --prefix DIR         全部文件装在 DIR 下而不是 /（不改系统的 nginx、cron、时区）
  --no-systemd         不用 systemd：直接启动 gunicorn（和 nginx），定时任务只写出不启用
  --user NAME          服务用户（默认 shequ）
  --skip-packages      不安装系统软件包，只检查所需命令
  --python PATH        建立虚拟环境用的 Python（默认 /usr/bin/python3）
  -h, --help           显示本说明
EOF
}

TAG='' REPO='' SOURCE='' HOST='' DISTRICT='重庆市北碚区' CERT='' KEY=''
HTTP_PORT=80 HTTPS_PORT=443 LISTEN='' APP_PORT=8000 WORKERS='' TIMEZONE=Asia/Shanghai
PG_PORT=5432 PG_ADMIN='' PREFIX='' SYSTEMD=yes RUN_USER=shequ SKIP_PACKAGES=no
PYTHON=/usr/bin/python3

while [ $# -gt 0 ]; do
  case $1 in
    --tag) TAG=$2; shift ;;
    --repo) REPO=$2; shift ;;
    --source) SOURCE=$2; shift ;;
    --host) HOST=$2; shift ;;
    --district) DISTRICT=$2; shift ;;
    --cert) CERT=$2; shift ;;
    --key) KEY=$2; shift ;;
    --http-port) HTTP_PORT=$2; shift ;;
    --https-port) HTTPS_PORT=$2; shift ;;
    --listen) LISTEN=$2; shift ;;
    --app-port) APP_PORT=$2; shift ;;
    --workers) WORKERS=$2; shift ;;
    --timezone) TIMEZONE=$2; shift ;;
    --pg-port) PG_PORT=$2; shift ;;
    --pg-admin) PG_ADMIN=$2; shift ;;
    --prefix) PREFIX=$2; shift ;;
    --no-systemd) SYSTEMD=no ;;
    --user) RUN_USER=$2; shift ;;
    --skip-packages) SKIP_PACKAGES=yes ;;
    --python) PYTHON=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "不认识的参数：$1" ;;
  esac
  shift
done

[ "$(id -u)" = 0 ] || die "请以 root 运行"
[ -n "$TAG" ] || [ -n "$SOURCE" ] || die "请给出 --tag vYYYY.MM.N（或测试用的 --source 目录）"
[ -z "$TAG" ] || [ -z "$SOURCE" ] || die "--tag 和 --source 只能给一个"
if { [ -n "$CERT" ] && [ -z "$KEY" ]; } || { [ -z "$CERT" ] && [ -n "$KEY" ]; }; then
  die "--cert 和 --key 须同时给出"
fi
if [ -n "$PREFIX" ]; then
  PREFIX=$(mkdir -p "$PREFIX" && cd "$PREFIX" && pwd)
fi
[ -n "$HOST" ] || HOST=$(hostname -f 2>/dev/null || hostname)
[ -n "$WORKERS" ] || WORKERS=$(($(nproc) * 2 + 1))
[ "$WORKERS" -le 9 ] || WORKERS=9
if [ "$SYSTEMD" = yes ] && [ ! -d /run/systemd/system ]; then
  die "本机没有运行 systemd；请加 --no-systemd"
fi
layout
NGINX_SITE=$NGINX_DIR/sites-available/shequ

is_ip() { printf '%s' "$1" | grep -Eq '^[0-9.]+$|:'; }

# ---------------------------------------------------------------- 1. packages

install_packages() {
  step "1. 系统软件包和时区"
  local packages="python3 python3-venv postgresql postgresql-client nginx cron logrotate openssl ca-certificates git curl tzdata gpg"
  if [ "$SKIP_PACKAGES" = yes ] || [ -n "$PREFIX" ]; then
    local missing='' command
    for command in "$PYTHON" psql nginx openssl git curl runuser; do
      command -v "$command" >/dev/null || missing="$missing $command"
    done
    "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || missing="$missing python3-venv"
    [ -z "$missing" ] || die "缺少：$missing（apt-get install -y $packages）"
    say "未安装软件包（--prefix/--skip-packages），所需命令都在"
    return
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $packages >/dev/null
  say "已安装：$packages"
}

# ---------------------------------------------------------------- 2. user, directories

make_user_and_directories() {
  step "2. 服务用户 $RUN_USER 和目录"
  if id "$RUN_USER" >/dev/null 2>&1; then
    say "用户 $RUN_USER 已存在"
  else
    useradd --system --user-group --home-dir "$VAR_DIR" --no-create-home \
      --shell /usr/sbin/nologin "$RUN_USER"
    say "已建立系统用户 $RUN_USER（不能登录）"
  fi
  # owner group mode directory. The log directory is 0751: nginx's workers (www-data)
  # reopen their log files there after a rotation, and may not list it.
  while read -r owner group mode dir; do
    install -d -o "$owner" -g "$group" -m "$mode" "$dir"
    printf '  %-4s %-14s %s\n' "$mode" "$owner:$group" "$dir"
  done <<EOF
root root 0755 $OPT
root root 0755 $RELEASES
root root 0755 $OPT/bin
root $RUN_USER 0750 $ETC
$RUN_USER $RUN_USER 0755 $VAR_DIR
$RUN_USER $RUN_USER 0750 $MEDIA_DIR
$RUN_USER $RUN_USER 0755 $STATIC_DIR
root $RUN_USER 0751 $LOG_DIR
$RUN_USER $RUN_USER 0750 $BACKUP_DIR
$RUN_USER $RUN_USER 0750 $BACKUP_DIR/pre-upgrade
root root 0755 $SSL_DIR
EOF
  local log
  for log in app gunicorn-access; do
    [ -e "$LOG_DIR/$log.log" ] || install -m 0640 -o "$RUN_USER" -g adm /dev/null "$LOG_DIR/$log.log"
  done
  # nginx and the jobs run as root and would create theirs 0644: with the directory 0751,
  # anyone on the machine could read these well-known names (user names, addresses).
  for log in nginx-access nginx-error backup remind; do
    [ -e "$LOG_DIR/$log.log" ] || install -m 0640 -o root -g adm /dev/null "$LOG_DIR/$log.log"
  done
  chmod o-rwx "$LOG_DIR"/*.log
  install -d -m 0755 "$PREFIX/usr/local/bin" "$PREFIX/etc/cron.d" "$PREFIX/etc/logrotate.d" \
    "$PREFIX/etc/systemd/system" "$NGINX_DIR/sites-available" "$NGINX_DIR/sites-enabled"
}

# ---------------------------------------------------------------- 3. the release

install_release() {
  step "3. 程序"
  local name source
  if [ -n "$TAG" ]; then
    source=${REPO:-$(cd "$HERE/.." && pwd)}
    check_tag "$source" "$TAG"
    name=$TAG
  else
    source=$(cd "$SOURCE" && pwd)
    name=src-$(date +%Y%m%d-%H%M%S)
  fi
  if [ -L "$CURRENT" ] && release_complete "$(current_release)"; then
    say "已安装版本 $(current_release)；升级请用 deploy/upgrade.sh"
    return
  fi
  make_release "$name" "$source" "$TAG"
  switch_current "$name"
  say "$CURRENT -> releases/$name"
}

write_wrapper() {
  render "$HERE/templates/shequ-wrapper" "$WRAPPER" WRAPPER="$WRAPPER" ENV_FILE="$ENV_FILE" \
    RELEASES="$RELEASES" CURRENT="$CURRENT" RUN_USER="$RUN_USER" VAR_DIR="$VAR_DIR"
  chmod 0755 "$WRAPPER"
  render "$HERE/templates/job" "$JOB" JOB="$JOB" LOG_DIR="$LOG_DIR" CRON_FILE="$CRON_FILE"
  chmod 0755 "$JOB"
  say "命令：$WRAPPER（任何目录下以 root 运行，如 shequ help）"
}

# ---------------------------------------------------------------- 4. settings

origin() {
  if [ "$HTTPS_PORT" = 443 ]; then printf 'https://%s' "$HOST"; else printf 'https://%s:%s' "$HOST" "$HTTPS_PORT"; fi
}

write_env() {
  step "4. 配置 $ENV_FILE"
  if [ -f "$ENV_FILE" ]; then
    say "已存在，保持不变（不覆盖已有的密钥和口令）"
    ensure_chain_key
  else
    render "$HERE/templates/env" "$ENV_FILE.new" SECRET_KEY="$(openssl rand -hex 32)" \
      CHAIN_KEY="$(openssl rand -hex 32)" DB_USER=shequ DB_PASSWORD="$(openssl rand -hex 24)" DB_NAME=shequ PG_PORT="$PG_PORT" \
      HOST="$HOST" ORIGIN="$(origin)" DISTRICT="$DISTRICT" VAR_DIR="$VAR_DIR" \
      MEDIA_DIR="$MEDIA_DIR" STATIC_DIR="$STATIC_DIR"
    chown "root:$RUN_USER" "$ENV_FILE.new"
    chmod 0640 "$ENV_FILE.new"
    mv "$ENV_FILE.new" "$ENV_FILE"
    say "已生成（SECRET_KEY、SHEQU_CHAIN_KEY、数据库口令为随机十六进制）；请另行妥善保存一份"
  fi
  chown "root:$RUN_USER" "$ENV_FILE"
  chmod 0640 "$ENV_FILE"
}

# ---------------------------------------------------------------- 5. PostgreSQL

pg_admin() {
  if [ -n "$PG_ADMIN" ]; then
    psql "$PG_ADMIN" -v ON_ERROR_STOP=1 -Atq "$@"
  else
    (cd / && runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -Atq "$@")
  fi
}

make_database() {
  step "5. PostgreSQL 用户和数据库"
  if [ -z "$PG_ADMIN" ] && [ -z "$PREFIX" ]; then
    if [ "$SYSTEMD" = yes ]; then
      systemctl enable --now postgresql >/dev/null 2>&1
    elif command -v pg_ctlcluster >/dev/null; then
      pg_ctlcluster 15 main status >/dev/null 2>&1 || pg_ctlcluster 15 main start
    fi
  fi
  local url user password name
  url=$(sed -n 's/^DATABASE_URL=//p' "$ENV_FILE")
  read -r user password name < <("$PYTHON" -c '
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.unquote(u.username or ""), urllib.parse.unquote(u.password or ""), u.path.lstrip("/"))
' "$url")
  printf '%s%s%s' "$user" "$password" "$name" | grep -Eq '^[A-Za-z0-9_]+$' ||
    die "$ENV_FILE 中 DATABASE_URL 的用户名、口令、库名只能含字母、数字和下划线"
  if [ -n "$(pg_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" ]; then
    pg_admin -c "ALTER ROLE \"$user\" LOGIN CREATEDB PASSWORD '$password'"
    say "数据库用户 $user 已存在（口令与 $ENV_FILE 一致）"
  else
    pg_admin -c "CREATE ROLE \"$user\" LOGIN CREATEDB PASSWORD '$password'"
    say "已建立数据库用户 $user（CREATEDB：恢复演练要新建临时数据库）"
  fi
  if [ -n "$(pg_admin -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
    say "数据库 $name 已存在，保持不变"
  else
    pg_admin -c "CREATE DATABASE \"$name\" OWNER \"$user\" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'"
    say "已建立数据库 $name（UTF8）"
  fi
}

migrate() {
  step "6. 数据库结构和静态文件"
  local applied
  applied=$("$WRAPPER" migrate --noinput | grep -c '^  Applying' || true)
  say "数据库迁移：执行 $applied 个"
  "$WRAPPER" collectstatic --noinput -v 0
  say "静态文件：$STATIC_DIR"
  "$WRAPPER" check --deploy
}

# ---------------------------------------------------------------- 7. TLS

# A supplied certificate is checked before anything is changed.
check_certificate() {
  [ -n "$CERT" ] || return 0
  openssl x509 -in "$CERT" -noout >/dev/null 2>&1 || die "$CERT 不是 PEM 格式的证书"
  [ "$(openssl x509 -in "$CERT" -noout -pubkey | openssl sha256)" = \
    "$(openssl pkey -in "$KEY" -pubout 2>/dev/null | openssl sha256)" ] ||
    die "证书 $CERT 与私钥 $KEY 不配对"
  openssl x509 -in "$CERT" -noout -checkend 0 >/dev/null || die "证书 $CERT 已过期"
}

install_certificate() {
  step "7. TLS 证书"
  local cert=$SSL_DIR/fullchain.pem key=$SSL_DIR/privkey.pem
  if [ -n "$CERT" ]; then
    install -m 0644 -o root -g root "$CERT" "$cert"
    install -m 0600 -o root -g root "$KEY" "$key"
    say "已安装单位证书：$(openssl x509 -in "$cert" -noout -subject -enddate | tr '\n' ' ')"
  elif [ -f "$cert" ] && [ -f "$key" ]; then
    say "已有证书，保持不变：$(openssl x509 -in "$cert" -noout -subject -enddate | tr '\n' ' ')"
  else
    local san="DNS:$HOST"
    ! is_ip "$HOST" || san="IP:$HOST"
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 -subj "/CN=$HOST" \
      -addext "subjectAltName=$san" -keyout "$key.new" -out "$cert.new" 2>/dev/null
    chmod 0600 "$key.new"
    mv "$key.new" "$key"
    mv "$cert.new" "$cert"
    say "已生成自签名证书（$HOST，825 天）。浏览器会提示“不安全”，只适合内网试用；"
    say "换用单位的证书：deploy/install.sh … --cert fullchain.pem --key privkey.pem（见 docs/deployment.md）"
  fi
}

# ---------------------------------------------------------------- 8. nginx

listen_on() { if [ -n "$LISTEN" ]; then printf '%s:%s' "$LISTEN" "$1"; else printf '%s' "$1"; fi; }

nginx_run() {
  if [ -n "$PREFIX" ]; then
    nginx -c "$NGINX_DIR/nginx.conf" -e "$LOG_DIR/nginx-error.log" "$@"
  else
    nginx "$@"
  fi
}

configure_nginx() {
  step "9. nginx"
  local default_server='' suffix=''
  [ "$HTTPS_PORT" = 443 ] || suffix=":$HTTPS_PORT"
  # Reached by IP address, the site itself is the default; by name, a catch-all is.
  ! is_ip "$HOST" || default_server=' default_server'
  render "$HERE/templates/nginx-site" "$NGINX_SITE" NGINX_SITE="$NGINX_SITE" \
    HTTP_LISTEN="$(listen_on "$HTTP_PORT")" HTTPS_LISTEN="$(listen_on "$HTTPS_PORT")" \
    DEFAULT_SERVER="$default_server" HOST="$HOST" HTTPS_SUFFIX="$suffix" LOG_DIR="$LOG_DIR" \
    SSL_DIR="$SSL_DIR" STATIC_DIR="$STATIC_DIR" APP_PORT="$APP_PORT"
  if ! is_ip "$HOST"; then
    render "$HERE/templates/nginx-catch-all" "$NGINX_SITE.catch-all" \
      HTTP_LISTEN="$(listen_on "$HTTP_PORT")" HTTPS_LISTEN="$(listen_on "$HTTPS_PORT")" \
      LOG_DIR="$LOG_DIR"
    cat "$NGINX_SITE.catch-all" >>"$NGINX_SITE"
    rm -f "$NGINX_SITE.catch-all"
  fi
  ln -sfn ../sites-available/shequ "$NGINX_DIR/sites-enabled/shequ"
  if [ -e "$NGINX_DIR/sites-enabled/default" ] || [ -L "$NGINX_DIR/sites-enabled/default" ]; then
    rm -f "$NGINX_DIR/sites-enabled/default"
    say "已停用 Debian 的默认站点（sites-enabled/default）"
  fi
  if [ -n "$PREFIX" ]; then
    install -d -m 0700 -o www-data "$PREFIX/var/lib/nginx"
    render "$HERE/templates/nginx-standalone.conf" "$NGINX_DIR/nginx.conf" NGINX_DIR="$NGINX_DIR" \
      NGINX_PID="$NGINX_PID" LOG_DIR="$LOG_DIR" NGINX_TEMP="$PREFIX/var/lib/nginx"
    install -d -m 0755 "$(dirname "$NGINX_PID")"
  fi
  nginx_run -t -q || die "nginx 配置有误（见上）"
  # A running nginx (Debian starts it when the package is installed) keeps the time zone it
  # started with in its logs: restarted when the zone changed, else reloaded.
  if [ "$SYSTEMD" = yes ]; then
    systemctl enable nginx >/dev/null 2>&1
    if [ "$TIMEZONE_CHANGED" = yes ]; then systemctl restart nginx; else systemctl reload-or-restart nginx; fi
  elif [ -s "$NGINX_PID" ] && kill -0 "$(cat "$NGINX_PID")" 2>/dev/null; then
    if [ "$TIMEZONE_CHANGED" = yes ]; then
      local pid
      pid=$(cat "$NGINX_PID")
      nginx_run -s quit
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      nginx_run
    else
      nginx_run -s reload
    fi
  else
    nginx_run
  fi
  say "站点：$(origin)/（HTTP ${HTTP_PORT} 跳转到 HTTPS；配置 $NGINX_SITE）"
}

# ---------------------------------------------------------------- 9. gunicorn

install_service() {
  step "8. gunicorn 服务"
  render "$HERE/templates/shequ.service" "$UNIT" UNIT="$UNIT" RUN_USER="$RUN_USER" \
    ENV_FILE="$ENV_FILE" VAR_DIR="$VAR_DIR" CURRENT="$CURRENT" GUNICORN_ARGS="$(gunicorn_args)"
  if [ "$SYSTEMD" = yes ]; then
    systemctl daemon-reload
    systemctl enable shequ >/dev/null 2>&1
    systemctl restart shequ
    say "systemd 服务 shequ 已启动（$WORKERS 个工作进程，127.0.0.1:$APP_PORT）"
  else
    service_stop
    service_start
    say "gunicorn 已直接启动（--no-systemd；$WORKERS 个工作进程，127.0.0.1:$APP_PORT，进程号 $(cat "$PID_FILE")）"
    say "单元文件仍写在 $UNIT 供参考"
  fi
}

# ---------------------------------------------------------------- 10. jobs, logs

install_jobs() {
  step "10. 定时任务和日志轮转"
  render "$HERE/templates/cron" "$CRON_FILE" CRON_FILE="$CRON_FILE" TIMEZONE="$TIMEZONE" \
    LOG_DIR="$LOG_DIR" JOB="$JOB" WRAPPER="$WRAPPER" BACKUP_DIR="$BACKUP_DIR"
  chmod 0644 "$CRON_FILE"
  render "$HERE/templates/logrotate" "$LOGROTATE_FILE" LOGROTATE_FILE="$LOGROTATE_FILE" \
    LOG_DIR="$LOG_DIR" RUN_USER="$RUN_USER" PID_FILE="$PID_FILE" NGINX_PID="$NGINX_PID"
  chmod 0644 "$LOGROTATE_FILE"
  say "$CRON_FILE：每天 1:30 备份到 $BACKUP_DIR（保留 14 份），8:00 催报；输出在 $LOG_DIR/"
  say "$LOGROTATE_FILE：日志每天轮转，保留 180 天"
  if [ -n "$PREFIX" ]; then
    say "测试安装：未改系统时区，cron 不读 $CRON_FILE；定时任务可照该文件中的命令手动运行"
    return
  fi
  if [ "$SYSTEMD" = yes ]; then
    systemctl enable cron >/dev/null 2>&1
    systemctl restart cron
    return
  fi
  # cron reads the time zone once, when it starts: one started before it changed runs the
  # jobs at the old zone's 1:30.
  local pid
  pid=$(cat /run/crond.pid 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$TIMEZONE_CHANGED" = yes ]; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    say "已停止时区改变前启动的 cron（进程 $pid）"
  fi
  if ! pgrep -x cron >/dev/null; then
    /usr/sbin/cron
    say "已启动 cron（没有 systemd：开机后须再启动，见 docs/deployment.md）"
  fi
}

# Before any service starts: nginx, cron and PostgreSQL read the zone once, when they start.
TIMEZONE_CHANGED=no
set_timezone() {
  [ -z "$PREFIX" ] || return 0
  [ -f "/usr/share/zoneinfo/$TIMEZONE" ] || die "没有时区 $TIMEZONE（--timezone）"
  [ "$(readlink -f /etc/localtime)" != "/usr/share/zoneinfo/$TIMEZONE" ] || return 0
  ln -sfn "/usr/share/zoneinfo/$TIMEZONE" /etc/localtime
  printf '%s\n' "$TIMEZONE" >/etc/timezone
  TIMEZONE_CHANGED=yes
  say "系统时区已设为 $TIMEZONE（定时任务按它执行，日志按它记时间）"
}

save_settings() {
  {
    printf '# Written by deploy/install.sh; read by upgrade.sh and rollback.sh.\n'
    local name
    for name in PREFIX SYSTEMD RUN_USER APP_PORT WORKERS HOST PYTHON; do
      printf '%s=%q\n' "$name" "${!name}"
    done
  } >"$DEPLOY_CONF"
  chmod 0640 "$DEPLOY_CONF"
}

check_certificate
install_packages
set_timezone
make_user_and_directories
install_release
write_wrapper
write_env
save_settings
make_database
migrate
install_certificate
install_service
configure_nginx
install_jobs

step "安装完成：$(origin)/"
cat <<EOF
版本 $(current_release)（$CURRENT）。下一步：

  $WRAPPER first-run        # 区划、区级管理员（密码只显示一次）、达标目标、当前报告期

须另行妥善保存（不在备份中）：$ENV_FILE、$SSL_DIR/privkey.pem。
日志：$LOG_DIR/（保留 180 天）；备份：$BACKUP_DIR/（见 docs/backup.md）。
EOF
