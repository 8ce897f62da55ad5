#!/bin/bash
# Upgrade shequ to a release tag (docs/deployment.md, ADR 0033).
set -eu
set -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/lib.sh
. "$HERE/lib.sh"

usage() {
  cat <<'EOF_USAGE'
用法：deploy/upgrade.sh vYYYY.MM.N [--repo DIR] [--prefix DIR]
      deploy/upgrade.sh --source DIR [--prefix DIR]

以 root 把 shequ 升级到附注标签 TAG（先在代码仓库 git fetch --tags）：
  1. 把标签检出到全新的版本目录 /opt/shequ/releases/TAG，安装 requirements.lock 的依赖
     （该目录已完整建好、且是同一提交时直接使用：回退后再次升级）；
  2. 打开维护页（用户看到“系统升级中”，不能改数据）；
  3. 备份到 /var/backups/shequ/pre-upgrade（保留 5 份）；
  4. 用新版本迁移数据库、收集静态文件、检查配置；
  5. 把 /opt/shequ/current 指向新版本，gunicorn 平滑重启（HUP），关闭维护页。
第 4 步失败时旧版本仍在运行而维护页保持打开：用 deploy/rollback.sh 恢复升级前的备份。

  --repo DIR      从该 git 仓库取标签（默认本脚本所在的仓库）
  --source DIR    安装该目录的工作树（测试用）
  --prefix DIR    测试安装的目录（与 install.sh 相同）
  --keep-releases N  保留最近 N 个版本目录（默认 5）
  -h, --help      显示本说明
EOF_USAGE
}

TAG='' REPO='' SOURCE='' PREFIX='' KEEP_RELEASES=5
while [ $# -gt 0 ]; do
  case $1 in
    --repo) REPO=$2; shift ;;
    --source) SOURCE=$2; shift ;;
    --prefix) PREFIX=$(cd "$2" && pwd); shift ;;
    --keep-releases) KEEP_RELEASES=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "不认识的参数：$1" ;;
    *) [ -z "$TAG" ] || die "只能给一个版本标签"; TAG=$1 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || die "请以 root 运行"
[ -n "$TAG" ] || [ -n "$SOURCE" ] || { usage >&2; die "请给出版本标签"; }
[ -z "$TAG" ] || [ -z "$SOURCE" ] || die "版本标签和 --source 只能给一个"
layout
read_deploy_conf
layout # the prefix install.sh recorded
[ -L "$CURRENT" ] || die "$CURRENT 不存在：请先运行 deploy/install.sh"

FROM=$(current_release)
if [ -n "$TAG" ]; then
  source=${REPO:-$(cd "$HERE/.." && pwd)}
  check_tag "$source" "$TAG"
  TO=$TAG
else
  source=$(cd "$SOURCE" && pwd)
  TO=src-$(date +%Y%m%d-%H%M%S)
fi
[ "$TO" != "$FROM" ] || die "$TO 已是当前版本"

# Before the switch a failure leaves the old release running; after the backup, the
# database may hold part of the new release's migrations.
stage=prepare
on_exit() {
  local status=$?
  [ "$status" -ne 0 ] || return 0
  case $stage in
    prepare)
      maintenance_off
      warn "升级未完成，没有改动：仍是 $FROM" ;;
    migrate)
      warn "升级在迁移数据库时失败；维护页保持打开，仍是 $FROM 的程序。"
      warn "恢复到升级前：deploy/rollback.sh${PREFIX:+ --prefix $PREFIX}" ;;
  esac
}
trap on_exit EXIT

step "1. 建立版本目录 $TO（当前 $FROM）"
# Again after a failed upgrade and its rollback (the migration met a full disk, say): the
# tag's release directory is complete and from the same commit, so it is not built again.
if [ -n "$TAG" ] && release_complete "$TO" &&
  grep -qx "commit=$(git -C "$source" rev-list -n 1 "refs/tags/$TAG")" "$RELEASES/$TO/RELEASE"; then
  say "版本目录 $RELEASES/$TO 已建好（同一提交），不再重建"
else
  make_release "$TO" "$source" "$TAG"
fi

step "2. 维护页"
maintenance_on "系统升级中，请稍后再试。"
say "已打开：$MAINTENANCE_FILE（所有页面返回 503）"

step "3. 升级前备份"
# Exit status 3: the backup was made and kept, but pruning or the copy to another machine
# failed (docs/backup.md); the upgrade goes on, with a warning.
status=0
json=$(mktemp)
"$WRAPPER" backup --to-dir "$BACKUP_DIR/pre-upgrade" --keep 5 --json >"$json" || status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 3 ] || die "升级前备份失败（退出码 $status），未升级"
[ "$status" -eq 0 ] || warn "备份已生成，但删除旧备份或复制到其他机器失败（见上）"
BACKUP=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["file"])' "$json")
rm -f "$json"
[ -f "$BACKUP" ] || die "没有找到升级前的备份 $BACKUP"
{
  printf '# Written by deploy/upgrade.sh; read by deploy/rollback.sh.\n'
  printf 'FROM=%q\nTO=%q\nBACKUP=%q\nAT=%q\n' "$FROM" "$TO" "$BACKUP" "$(date -Iseconds)"
} >"$UPGRADE_STATE"
say "备份：$BACKUP"

step "4. 用 $TO 迁移数据库、收集静态文件"
stage=migrate
ensure_chain_key
shequ_as_release "$TO" migrate --noinput
shequ_as_release "$TO" collectstatic --noinput -v 0
shequ_as_release "$TO" check --deploy

step "5. 切换到 $TO 并平滑重启"
switch_current "$TO"
service_reload
stage=switched
maintenance_off
for _ in $(seq 1 100); do
  ! app_answers || break
  sleep 0.2
done
say "$CURRENT -> releases/$TO；维护页已关闭"

# Old releases beyond the last few, never the current one or the one to roll back to.
find "$RELEASES" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' | sort -rn |
  tail -n +"$((KEEP_RELEASES + 1))" | cut -d' ' -f2- | while read -r old; do
  [ "$old" = "$TO" ] || [ "$old" = "$FROM" ] || { rm -rf "${RELEASES:?}/$old"; say "已删除旧版本目录 $old"; }
done

step "升级完成：$FROM → $TO"
say "有问题时回到 $FROM：deploy/rollback.sh${PREFIX:+ --prefix $PREFIX}（恢复升级前的备份，升级后录入的数据会丢失）"
