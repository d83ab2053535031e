#!/usr/bin/env bash
# churnguard's test mail stack: Postfix (MX-like SMTP + AUTH submission) delivers into
# Maildirs that Dovecot serves over IMAP, and OpenDKIM verifies signatures as a milter.
# Everything listens on 127.0.0.1, lives under one state folder, and runs without systemd.
#
#   mailstack.sh install                 apt-get the servers when root, else print how
#   mailstack.sh start [user:pass ...]   render configs, create users, start, wait for ports
#   mailstack.sh add-user user:pass ...  add mailboxes to a running stack
#   mailstack.sh stop                    SIGTERM the PIDs recorded by start, nothing else
#   mailstack.sh env                     print the settings as shell exports
#
# Example:
#   MAILSTACK_STATE=/tmp/cg-mail tools/mailstack/mailstack.sh start \
#       agent@agent.test:agentpw csm@agent.test:csmpw customer@customer.test:custpw
#
# Settings (environment): MAILSTACK_STATE (state folder), MAILSTACK_SMTP_PORT,
# MAILSTACK_SUBMISSION_PORT, MAILSTACK_IMAP_PORT, MAILSTACK_MILTER_PORT, MAILSTACK_MILTER
# (1 to run OpenDKIM as a milter, 0 not to) and MAILSTACK_USERS (space-separated
# user:pass pairs, used when start gets no arguments; a user without ":pass" gets a random one).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${MAILSTACK_STATE:-${TMPDIR:-/tmp}/churnguard-mailstack}"
SMTP_PORT="${MAILSTACK_SMTP_PORT:-22525}"
SUBMISSION_PORT="${MAILSTACK_SUBMISSION_PORT:-22587}"
IMAP_PORT="${MAILSTACK_IMAP_PORT:-22143}"
MILTER_PORT="${MAILSTACK_MILTER_PORT:-22891}"
MILTER="${MAILSTACK_MILTER:-1}"
DEFAULT_USERS="agent@agent.test:agentpass csm@agent.test:csmpass customer@customer.test:customerpass"
MAIL_USER=cgmail
PACKAGES="postfix dovecot-imapd opendkim opendkim-tools"

say() { printf 'mailstack: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

render() { # render TEMPLATE OUTPUT: fill every %%NAME%% placeholder
  sed -e "s#%%STATE%%#${STATE}#g" \
      -e "s#%%SMTP_PORT%%#${SMTP_PORT}#g" -e "s#%%SUBMISSION_PORT%%#${SUBMISSION_PORT}#g" \
      -e "s#%%IMAP_PORT%%#${IMAP_PORT}#g" -e "s#%%MILTER_PORT%%#${MILTER_PORT}#g" \
      -e "s#%%DOMAINS%%#$(domains)#g" -e "s#%%FIRST_DOMAIN%%#$(domains | cut -d' ' -f1)#g" \
      -e "s#%%MAIL_USER%%#${MAIL_USER}#g" -e "s#%%MAIL_UID%%#$(id -u "$MAIL_USER")#g" \
      -e "s#%%MAIL_GID%%#$(id -g "$MAIL_USER")#g" -e "s#%%MILTERS%%#${MILTERS:-}#g" \
      "$1" > "$2"
}

domains() { cut -d' ' -f1 "$STATE/postfix/mailboxes" | cut -d@ -f2 | sort -u | tr '\n' ' ' | sed 's/ $//'; }

running() { # running PID: the process exists and is not a zombie
  local stat; stat="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [ -n "$stat" ] && [ "${stat:0:1}" != Z ]
}

wait_for_port() { # wait_for_port PORT SECONDS
  local tries=$(($2 * 10))
  while ((tries-- > 0)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  say "nothing listens on 127.0.0.1:$1 after $2 s; see $STATE/log"; return 1
}

missing_tools() {
  local tool
  for tool in postfix postconf dovecot opendkim; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || echo "$tool"
  done
}

cmd_install() {
  if [ "$(id -u)" != 0 ]; then
    say "not root: install these Debian packages, then run start as root:"
    echo "  apt-get install -y --no-install-recommends $PACKAGES"
    echo "  useradd --system --no-create-home --shell /usr/sbin/nologin $MAIL_USER"
    return 0
  fi
  if [ -n "$(missing_tools)" ]; then
    # "No configuration" keeps the package from writing a system-wide main.cf, and a
    # policy-rc.d that exits 101 keeps apt from starting the stock daemons.
    local own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1
    fi
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES >/dev/null \
      || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES >/dev/null; }
    [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  fi
  id "$MAIL_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$MAIL_USER"
  say "installed: $PACKAGES and user $MAIL_USER"
}

add_users() { # add_users user[:pass] ...: append to the Dovecot passwd file and Postfix map
  local spec user pass
  for spec in "$@"; do
    user="${spec%%:*}"; pass="${spec#*:}"
    [ "$pass" = "$spec" ] && pass="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    case "$user" in *@*.*) ;; *) die "invalid user $user: use local@domain" ;; esac
    case "$user$pass" in *[[:space:]:]*) die "user and password must not contain spaces or ':'" ;; esac
    grep -q "^$user:" "$STATE/dovecot/passwd" && { say "user $user exists; kept"; continue; }
    echo "$user:{PLAIN}$pass" >> "$STATE/dovecot/passwd"
    echo "$user ${user#*@}/${user%@*}/Maildir/" >> "$STATE/postfix/mailboxes"
    echo "$user $pass" >> "$STATE/users"
    mkdir -p "$STATE/mail/${user#*@}/${user%@*}/Maildir"/{cur,new,tmp}
    chown -R "$MAIL_USER:$MAIL_USER" "$STATE/mail/${user#*@}"
  done
}

make_layout() {
  mkdir -p "$STATE"/{log,mail,dkim,opendkim,dovecot/run,dovecot/state,postfix/etc,postfix/queue,postfix/data}
  chmod 755 "$STATE" "$STATE/log" "$STATE/dkim"
  chown "$MAIL_USER:$MAIL_USER" "$STATE/mail"
  chown postfix:postfix "$STATE/postfix/data"
  chown opendkim:opendkim "$STATE/opendkim"
  : > "$STATE/dovecot/passwd"; : > "$STATE/postfix/mailboxes"; : > "$STATE/users"
  chgrp dovecot "$STATE/dovecot/passwd"; chmod 640 "$STATE/dovecot/passwd"
  chmod 600 "$STATE/users"
  touch "$STATE/dkim/test-public-keys"; chmod 644 "$STATE/dkim/test-public-keys"
  echo "192.0.2.1" > "$STATE/opendkim/internal-hosts"  # documentation address: never connects
}

start_dovecot() {
  render "$HERE/dovecot.conf.in" "$STATE/dovecot/dovecot.conf"
  # Daemons get their own log files, so none keeps the caller's stdout open.
  dovecot -c "$STATE/dovecot/dovecot.conf" </dev/null >>"$STATE/log/dovecot.log" 2>&1
  wait_for_port "$IMAP_PORT" 10
  echo "dovecot $(cat "$STATE/dovecot/run/master.pid")" >> "$STATE/pids"
}

start_opendkim() {
  render "$HERE/opendkim.conf.in" "$STATE/opendkim/opendkim.conf"
  [ "$MILTER" = 1 ] || return 0
  opendkim -x "$STATE/opendkim/opendkim.conf" </dev/null >>"$STATE/log/opendkim.log" 2>&1
  wait_for_port "$MILTER_PORT" 10
  echo "opendkim $(cat "$STATE/opendkim/opendkim.pid")" >> "$STATE/pids"
  MILTERS="inet:127.0.0.1:${MILTER_PORT}"
}

start_postfix() {
  render "$HERE/postfix-main.cf.in" "$STATE/postfix/etc/main.cf"
  render "$HERE/postfix-master.cf.in" "$STATE/postfix/etc/master.cf"
  postfix -c "$STATE/postfix/etc" check
  postfix -c "$STATE/postfix/etc" start </dev/null >>"$STATE/log/postfix.log" 2>&1
  wait_for_port "$SMTP_PORT" 15
  wait_for_port "$SUBMISSION_PORT" 5
  echo "postfix $(tr -d ' ' < "$STATE/postfix/queue/pid/master.pid")" >> "$STATE/pids"
}

write_settings() { # state.json: what the pytest fixture and other tools read
  local users
  users="$(awk '{printf "%s\"%s\": \"%s\"", (NR>1?", ":""), $1, $2}' "$STATE/users")"
  cat > "$STATE/stack.json" <<EOT
{"host": "127.0.0.1", "smtp_port": $SMTP_PORT, "submission_port": $SUBMISSION_PORT,
 "imap_port": $IMAP_PORT, "milter_port": $MILTER_PORT, "milter": $([ "$MILTER" = 1 ] && echo true || echo false),
 "state": "$STATE", "mail_root": "$STATE/mail",
 "dkim_keys": "$STATE/dkim/test-public-keys", "opendkim_conf": "$STATE/opendkim/opendkim.conf",
 "users": {$users}}
EOT
  chmod 600 "$STATE/stack.json"
}

cmd_start() {
  [ "$(id -u)" = 0 ] || die "start needs root (the daemons switch to their own users)"
  [ -z "$(missing_tools)" ] || die "missing $(missing_tools | tr '\n' ' '); run '$0 install' first"
  id "$MAIL_USER" >/dev/null 2>&1 || die "no user $MAIL_USER; run '$0 install' first"
  [ -e "$STATE/pids" ] && die "$STATE/pids exists: the stack may be running; run stop first"

  make_layout
  : > "$STATE/pids"
  trap 'say "start failed; stopping what was started"; cmd_stop' ERR
  # shellcheck disable=SC2086
  if [ "$#" -gt 0 ]; then add_users "$@"; else add_users ${MAILSTACK_USERS:-$DEFAULT_USERS}; fi

  start_dovecot
  start_opendkim
  start_postfix
  write_settings
  trap - ERR
  say "running: smtp 127.0.0.1:$SMTP_PORT, submission 127.0.0.1:$SUBMISSION_PORT, imap 127.0.0.1:$IMAP_PORT, state $STATE"
}

cmd_add_user() {
  [ -f "$STATE/pids" ] || die "no running stack in $STATE; run start first"
  [ "$#" -gt 0 ] || die "usage: $0 add-user user[:pass] ..."
  add_users "$@"
  postconf -c "$STATE/postfix/etc" -e "virtual_mailbox_domains = $(domains)"
  postfix -c "$STATE/postfix/etc" reload </dev/null >>"$STATE/log/postfix.log" 2>&1
  write_settings
}

cmd_stop() {
  [ -f "$STATE/pids" ] || { say "no PIDs recorded in $STATE/pids; nothing to stop"; return 0; }
  local name pid
  # Each recorded PID is a master process that ends its children on SIGTERM. Signal them
  # all before waiting, so the slow shutdowns overlap.
  while read -r name pid; do
    if running "$pid"; then kill -TERM "$pid"; fi
  done < "$STATE/pids"
  while read -r name pid; do
    for _ in $(seq 100); do running "$pid" || break; sleep 0.1; done
    if running "$pid"; then say "$name ($pid) is still running"; else say "stopped $name ($pid)"; fi
  done < "$STATE/pids"
  rm -f "$STATE/pids"
}

cmd_env() {
  cat <<EOT
export MAILSTACK_STATE=$STATE
export MAILSTACK_HOST=127.0.0.1
export MAILSTACK_SMTP_PORT=$SMTP_PORT
export MAILSTACK_SUBMISSION_PORT=$SUBMISSION_PORT
export MAILSTACK_IMAP_PORT=$IMAP_PORT
export MAILSTACK_MILTER_PORT=$MILTER_PORT
export MAILSTACK_DKIM_KEYS=$STATE/dkim/test-public-keys
EOT
}

command="${1:-}"; shift || true
case "$command" in
  install) cmd_install ;;
  start) cmd_start "$@" ;;
  add-user) cmd_add_user "$@" ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  *) echo "usage: $0 install|start [user:pass ...]|add-user user:pass ...|stop|env" >&2; exit 2 ;;
esac
