#!/usr/bin/env bash
# smtpd_search_order.sh - the keys a real smtpd looks up, in order, for
# client, reverse client, HELO, sender and recipient checks equal those
# engine/search.c generates (build/tests/tools/searchkeys), with parent-style
# and dot-style domain matching, several recipient_delimiter sets, and a
# custom null-sender key.  See smtpd_search_order.py for the method.
set -eu
. "$SRCDIR/tests/lib/postfix-instance.sh"

tool=$SRCDIR/$BUILD/tests/tools/searchkeys
[ -x "$tool" ] || { echo "missing $tool (make tests)"; exit 1; }

pfi_init
sockport=$(pfi_free_port)
portA=$(pfi_free_port)
portB=$(pfi_free_port)
portC=$(pfi_free_port)
: >"$PFI_CONF/empty"
postmap -c "$PFI_CONF" "hash:$PFI_CONF/empty"

# Each check twice: a fixed-key union (sees every probe) and a pattern
# table (sees only the probes that go to all tables).
sm="socketmap:inet:127.0.0.1:$sockport"
empty="hash:$PFI_CONF/empty"
checks=""
for c in client:client reverse_client_hostname:rclient helo:helo \
         sender:sender recipient:rcpt; do
    restriction=check_${c%%:*}_access tag=${c#*:}
    checks="$checks $restriction unionmap:{$empty, $sm:${tag}_all},"
    checks="$checks $restriction $sm:${tag}_full,"
done
pfi_set recipient_delimiter +
pfi_set relay_domains example.net
pfi_set smtpd_relay_restrictions ""
pfi_set smtpd_recipient_restrictions "$checks reject_unauth_destination"

dotstyle=debug_peer_list,fast_flush_domains,mynetworks,permit_mx_backup_networks,qmqpd_authorized_clients,relay_domains
pfi_smtpd "$portA"
pfi_smtpd "$portB" -o parent_domain_matches_subdomains=$dotstyle \
    -o recipient_delimiter=+-
pfi_smtpd "$portC" -o recipient_delimiter= \
    -o smtpd_null_access_lookup_key=\<null\>
pfi_variant "$TMPDIR/confB" parent_domain_matches_subdomains=$dotstyle \
    recipient_delimiter=+-
pfi_variant "$TMPDIR/confC" recipient_delimiter= \
    "smtpd_null_access_lookup_key=<null>"
pfi_start

python3 "$SRCDIR/tests/oracle/smtpd_search_order.py" "$tool" "$sockport" \
    "A=$portA:$PFI_CONF" "B=$portB:$TMPDIR/confB" "C=$portC:$TMPDIR/confC" \
    || { pfi_log_tail 30; exit 1; }
