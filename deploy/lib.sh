# shellcheck shell=bash
# Shared by install.sh, upgrade.sh and rollback.sh: the layout under a prefix, messages,
# templates, releases and the service. Sourced, never run.

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
warn() { printf '注意：%s\n' "$*" >&2; }
die() { printf '错误：%s\n' "$*" >&2; exit 1; }

# The product's paths, under $PREFIX ('' on a real server); used by the scripts that source this.
# shellcheck disable=SC2034
layout() {
  OPT=$PREFIX/opt/shequ
  RELEASES=$OPT/releases
  CURRENT=$OPT/current
  UPGRADE_STATE=$OPT/last-upgrade
  ETC=$PREFIX/etc/shequ
  ENV_FILE=$ETC/env
  DEPLOY_CONF=$ETC/deploy.conf
  VAR_DIR=$PREFIX/var/lib/shequ
  MEDIA_DIR=$VAR_DIR/media
  STATIC_DIR=$VAR_DIR/static
  MAINTENANCE_FILE=$VAR_DIR/maintenance
  LOG_DIR=$PREFIX/var/log/shequ
  BACKUP_DIR=$PREFIX/var/backups/shequ
  RUN_DIR=$PREFIX/run/shequ
  PID_FILE=$RUN_DIR/gunicorn.pid
  SSL_DIR=$PREFIX/etc/ssl/shequ
  WRAPPER=$PREFIX/usr/local/bin/shequ
  JOB=$OPT/bin/job
  NGINX_DIR=$PREFIX/etc/nginx
  NGINX_PID=$PREFIX/run/nginx.pid
  UNIT=$PREFIX/etc/systemd/system/shequ.service
  CRON_FILE=$PREFIX/etc/cron.d/shequ
  LOGROTATE_FILE=$PREFIX/etc/logrotate.d/shequ
}

# The settings install.sh chose, for upgrade.sh and rollback.sh.
read_deploy_conf() {
  [ -f "$DEPLOY_CONF" ] || die "找不到 $DEPLOY_CONF：请先运行 deploy/install.sh（测试安装时加同样的 --prefix）"
  # shellcheck source=/dev/null
  . "$DEPLOY_CONF"
}

# render TEMPLATE OUTPUT NAME=VALUE…: @NAME@ in the template becomes VALUE.
render() {
  local template=$1 output=$2 script='' pair name value
  shift 2
  for pair in "$@"; do
    name=${pair%%=*}
    value=${pair#*=}
    value=$(printf '%s' "$value" | sed -e 's/[\\|&]/\\&/g')
    script="${script}s|@${name}@|${value}|g;"
  done
  sed -e "$script" "$template" >"$output.tmp"
  if grep -n '@[A-Z_]*@' "$output.tmp" >&2; then
    rm -f "$output.tmp"
    die "模板 $template 中有未替换的占位符（见上）"
  fi
  mv -f "$output.tmp" "$output"
}

# The tags a release may be made from: annotated tags named vYYYY.MM.N (docs/deployment.md).
check_tag() {
  local repo=$1 tag=$2
  printf '%s' "$tag" | grep -Eq '^v[0-9]{4}\.[0-9]{2}\.[0-9]+$' ||
    die "版本标签“$tag”格式不对，应为 vYYYY.MM.N（如 v2026.12.1）"
  [ "$(git -C "$repo" cat-file -t "refs/tags/$tag" 2>/dev/null)" = tag ] ||
    die "代码仓库 $repo 中没有附注标签 $tag（先 git fetch --tags；标签用 git tag -a 建立）"
}

# make_release NAME SOURCE TAG: a fresh directory $RELEASES/NAME holding the tag's files
# (or, with TAG empty, SOURCE's working tree as git sees it) and its own virtual environment.
# Fresh: files a release deleted are gone. Built in place (a virtual environment cannot be
# moved) and marked complete last, so a half-built one is never taken for a release.
make_release() {
  local name=$1 source=$2 tag=$3 dir
  dir=$RELEASES/$name
  [ "$(readlink "$CURRENT" 2>/dev/null)" != "releases/$name" ] ||
    die "$name 是正在运行的版本，不能重新建立"
  rm -rf "$dir"
  install -d -m 0755 "$dir"
  if [ -n "$tag" ]; then
    git -C "$source" archive --format=tar "refs/tags/$tag" | tar -x -C "$dir"
    printf 'tag=%s\ncommit=%s\n' "$tag" "$(git -C "$source" rev-list -n 1 "refs/tags/$tag")" \
      >"$dir/RELEASE"
  elif git -C "$source" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked and untracked files, not ignored ones (.venv, var/): what the tree holds.
    (cd "$source" && git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
      tar --null -T - -cf -) | tar -x -C "$dir"
    printf 'tag=\nsource=%s\ncommit=%s（工作目录）\n' "$source" \
      "$(git -C "$source" rev-parse HEAD 2>/dev/null || echo '?')" >"$dir/RELEASE"
  else
    die "$source 不是 git 工作目录"
  fi
  [ -f "$dir/requirements.lock" ] || die "$name 中没有 requirements.lock，不是 shequ 的代码"
  say "建立虚拟环境并安装锁定的依赖（requirements.lock）…"
  "$PYTHON" -m venv "$dir/.venv"
  "$dir/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$dir/requirements.lock"
  "$dir/.venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "$dir"
  chown -R root:root "$dir"
  chmod -R go-w "$dir"
  touch "$dir/.complete"
  say "版本目录：$dir"
}

release_complete() { [ -f "$RELEASES/$1/.complete" ]; }

# switch_current NAME: point $CURRENT at the release, in one rename.
switch_current() {
  ln -sfn "releases/$1" "$OPT/.current.new"
  mv -T "$OPT/.current.new" "$CURRENT"
}

current_release() { basename "$(readlink "$CURRENT")"; }

# The gunicorn command line, the same under systemd and by hand. `python -m gunicorn` through
# the current symlink: a reload (HUP) then loads the release the symlink points at.
gunicorn_args() {
  printf '%s' "$CURRENT/.venv/bin/python -m gunicorn shequ.wsgi --chdir $VAR_DIR \
--workers $WORKERS --bind 127.0.0.1:$APP_PORT --timeout 120 --pid $PID_FILE \
--access-logfile $LOG_DIR/gunicorn-access.log --error-logfile $LOG_DIR/app.log --capture-output"
}

# The environment file's variables as NAME=VALUE words (for `env -i`).
env_words() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in '' | '#'*) continue ;; esac
    printf '%s\n' "$line"
  done <"$ENV_FILE"
}

service_start() {
  if [ "$SYSTEMD" = yes ]; then
    systemctl start shequ
    return
  fi
  local -a vars
  mapfile -t vars < <(env_words)
  install -d -o "$RUN_USER" -g "$RUN_USER" -m 0755 "$RUN_DIR"
  # From the data directory: gunicorn checks the directory it was started in, which the
  # service user may not enter (root runs the scripts from /root/shequ).
  # shellcheck disable=SC2046  # the arguments are words without spaces, by construction
  (cd "$VAR_DIR" && runuser -u "$RUN_USER" -- env -i PATH=/usr/local/bin:/usr/bin:/bin \
    LANG=C.UTF-8 HOME="$VAR_DIR" "${vars[@]}" $(gunicorn_args) --daemon)
  for _ in $(seq 1 100); do
    [ -s "$PID_FILE" ] && app_answers && return 0
    sleep 0.2
  done
  die "gunicorn 未能启动，见 $LOG_DIR/app.log"
}

# The login page, asked as nginx asks: a worker serves it (or the maintenance page).
app_answers() {
  case $(curl -s -o /dev/null -w '%{http_code}' -H "Host: $HOST" -H 'X-Forwarded-Proto: https' \
    "http://127.0.0.1:$APP_PORT/accounts/login/") in
    200 | 503) return 0 ;;
    *) return 1 ;;
  esac
}

service_stop() {
  if [ "$SYSTEMD" = yes ]; then
    systemctl stop shequ
    return
  fi
  [ -s "$PID_FILE" ] || return 0
  local pid
  pid=$(cat "$PID_FILE")
  # After a reboot the file may name another process now: only a gunicorn is stopped, and
  # a stale file is removed (gunicorn refuses to start while it names a live process).
  if ! grep -q gunicorn "/proc/$pid/cmdline" 2>/dev/null; then
    rm -f "$PID_FILE"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  die "gunicorn（进程 $pid）30 秒内未停止"
}

# A graceful reload: gunicorn starts new workers on the new code, then lets the old ones
# finish what they are serving.
service_reload() {
  if [ "$SYSTEMD" = yes ]; then
    systemctl reload shequ
  else
    kill -HUP "$(cat "$PID_FILE")"
  fi
}

maintenance_on() {
  printf '%s\n' "$1" >"$MAINTENANCE_FILE"
  chmod 0644 "$MAINTENANCE_FILE"
}

maintenance_off() { rm -f "$MAINTENANCE_FILE"; }

# The wrapper, run as a given release (SHEQU_RELEASE) before the symlink points at it.
shequ_as_release() {
  SHEQU_RELEASE=$1 "$WRAPPER" "${@:2}"
}

# The ledger chain's HMAC key (ADR 0039) in the env file. install.sh writes one into a new
# env file; an env file from before it gets one here (install.sh run again, upgrade.sh):
# the key the app generated under $VAR_DIR if there is one, since seals made with it must
# still verify, else a new one.
ensure_chain_key() {
  grep -q '^SHEQU_CHAIN_KEY=.' "$ENV_FILE" && return 0
  local key
  if [ -s "$VAR_DIR/chain_key" ]; then
    key=$(tr -d '[:space:]' <"$VAR_DIR/chain_key")
  else
    key=$(openssl rand -hex 32)
  fi
  printf '\n# The key of the ledger'"'"'s fingerprint chain (ADR 0039), added by %s.\nSHEQU_CHAIN_KEY=%s\n' \
    "$(basename "$0")" "$key" >>"$ENV_FILE"
  say "已在 $ENV_FILE 中加入 SHEQU_CHAIN_KEY（台帐指纹链密钥）：请与 env 文件一起另行妥善保存；多台应用服务器须用同一个值"
}
