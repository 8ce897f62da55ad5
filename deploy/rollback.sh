#!/bin/bash
# Roll the last upgrade back (docs/deployment.md, ADR 0033): stop the service, point
# /opt/shequ/current at the previous release, restore the pre-upgrade backup, start.
set -eu
set -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/lib.sh
. "$HERE/lib.sh"

usage() {
  cat <<'EOF_USAGE'
用法：deploy/rollback.sh [--yes] [--backup FILE] [--prefix DIR]

以 root 撤销最近一次 deploy/upgrade.sh，顺序是：
  1. 打开维护页，停止 gunicorn 服务；
  2. 把 /opt/shequ/current 指回升级前的版本（恢复须用制作备份时的程序）；
  3. 清空数据库结构，恢复升级前的备份（数据库和上传文件，逐表核对校验和）；
  4. 用旧版本收集静态文件，启动服务，关闭维护页。
升级之后录入的数据会丢失：先确认，或加 --yes。

  --backup FILE   恢复这个备份（默认升级前自动做的那一份）
  --yes           不再询问
  --prefix DIR    测试安装的目录（与 install.sh 相同）
  -h, --help      显示本说明
EOF_USAGE
}

PREFIX='' YES=no CHOSEN_BACKUP=''
while [ $# -gt 0 ]; do
  case $1 in
    --backup) CHOSEN_BACKUP=$2; shift ;;
    --yes) YES=yes ;;
    --prefix) PREFIX=$(cd "$2" && pwd); shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "不认识的参数：$1" ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || die "请以 root 运行"
layout
read_deploy_conf
layout
[ -f "$UPGRADE_STATE" ] || die "没有可撤销的升级（$UPGRADE_STATE 不存在）"
FROM='' TO='' BACKUP=''
# shellcheck source=/dev/null
. "$UPGRADE_STATE"
[ -z "$CHOSEN_BACKUP" ] || BACKUP=$CHOSEN_BACKUP
NOW=$(current_release)
[ "$NOW" = "$TO" ] || [ "$NOW" = "$FROM" ] ||
  die "当前版本是 $NOW，不是最近一次升级的 $TO；请手动处理"
release_complete "$FROM" || die "升级前的版本目录 $RELEASES/$FROM 不完整或已删除"
[ -f "$BACKUP" ] || die "备份文件 $BACKUP 不存在"

say "将从 $TO 回到 $FROM，并恢复备份 $BACKUP"
say "该备份之后录入的数据（升级以来的填报、审核等）会丢失。"
if [ "$YES" != yes ]; then
  [ -t 0 ] || die "确认请加 --yes"
  printf '确认回退？输入 yes：'
  read -r answer
  [ "$answer" = yes ] || die "未回退"
fi

step "1. 维护页，停止服务"
maintenance_on "系统维护中，请稍后再试。"
service_stop
say "gunicorn 已停止"

step "2. $CURRENT -> releases/$FROM"
switch_current "$FROM"

step "3. 恢复升级前的备份"
# The new release's migrations are unknown to the old one: the schema is emptied and the
# restore builds the old one before loading the backup into it.
"$WRAPPER" dbshell -- -q -v ON_ERROR_STOP=1 \
  -c 'SET client_min_messages TO warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;'
"$WRAPPER" restore --force "$BACKUP" | tail -n 1

step "4. 静态文件，启动服务"
"$WRAPPER" collectstatic --noinput -v 0
service_start
maintenance_off
mv -f "$UPGRADE_STATE" "$UPGRADE_STATE.rolled-back"
step "已回退到 $FROM（$TO 的目录保留在 $RELEASES/$TO）"
