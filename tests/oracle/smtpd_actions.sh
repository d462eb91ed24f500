#!/usr/bin/env bash
# smtpd_actions.sh - the reply a real smtpd sends for each access(5) value
# form, found by client, HELO, sender and recipient checks, equals what
# engine/action.c renders (build/tests/tools/actionreply): reply codes,
# enhanced status codes with class forcing and X.1.Y rewriting, default
# texts, DEFER_IF_REJECT/DEFER_IF_PERMIT, 421/521 disconnects, HANGUP,
# values smtpd treats as OK or as configuration errors, 510-byte cuts and
# printable() cleaning.  A second smtpd runs with soft_bounce and other
# reply codes.  See smtpd_actions.py.
set -eu
. "$SRCDIR/tests/lib/postfix-instance.sh"

searchkeys=$SRCDIR/$BUILD/tests/tools/searchkeys
actionreply=$SRCDIR/$BUILD/tests/tools/actionreply
for t in "$searchkeys" "$actionreply"; do
    [ -x "$t" ] || { echo "missing $t (make tests)"; exit 1; }
done

pfi_init
port=$(pfi_free_port)
softport=$(pfi_free_port)
python3 "$SRCDIR/tests/oracle/smtpd_actions.py" tables "$PFI_CONF"
pfi_set relay_domains example.net
pfi_set smtpd_relay_restrictions ""
pfi_set smtpd_recipient_restrictions "check_client_access hash:$PFI_CONF/client_actions, check_helo_access hash:$PFI_CONF/helo_actions, check_sender_access hash:$PFI_CONF/sender_actions, check_recipient_access hash:$PFI_CONF/recipient_actions, reject_unauth_destination"
soft="soft_bounce=yes access_map_reject_code=550 access_map_defer_code=451 reject_code=553 defer_code=452"
pfi_smtpd "$port"
# shellcheck disable=SC2086
pfi_smtpd "$softport" $(printf -- '-o %s ' $soft)
# shellcheck disable=SC2086
pfi_variant "$TMPDIR/soft" $soft
pfi_start

python3 "$SRCDIR/tests/oracle/smtpd_actions.py" run "$searchkeys" \
    "$actionreply" "default=$port:$PFI_CONF" "soft=$softport:$TMPDIR/soft" \
    || { pfi_log_tail 30; exit 1; }
