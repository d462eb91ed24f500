/* explain.c - why an engine decided as it did, for people and programs.
 *
 * The text form lists, per table, every key tried in smtpd's order with its
 * result, then the decision with its source line and the SMTP reply smtpd
 * would send.  The JSON form carries the same facts.
 */
#include "maptool/explain.h"

#include <string.h>

#include "engine/action.h"

static const char *const result_names[] = {
    [AM_TRACE_MISS] = "not found",
    [AM_TRACE_HIT] = "found",
    [AM_TRACE_SKIPPED] = "skipped",
    [AM_TRACE_SHADOWED] = "shadowed",
    [AM_TRACE_ERROR] = "error",
};

static const char *const result_ids[] = {
    [AM_TRACE_MISS] = "miss",
    [AM_TRACE_HIT] = "hit",
    [AM_TRACE_SKIPPED] = "skipped",
    [AM_TRACE_SHADOWED] = "shadowed",
    [AM_TRACE_ERROR] = "error",
};

/* Print text with non-printable bytes as \xNN. */
static void
put_visible(FILE *fp, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char) *s;
        if (c < 0x20 || c == 0x7f)
            fprintf(fp, "\\x%02x", c);
        else
            fputc(c, fp);
    }
}

static void
put_json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; s != NULL && *s; s++) {
        unsigned char c = (unsigned char) *s;
        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(fp, "\\u%04x", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

static void
describe_input(FILE *fp, const struct explain_input *x)
{
    const struct am_search_input *in = x->in;

    switch (x->check) {
    case AM_CHECK_CLIENT:
        fprintf(fp, "check_client_access, client %s[%s]",
                in->hostname ? in->hostname : "unknown", in->text);
        break;
    case AM_CHECK_REVERSE_CLIENT:
        fprintf(fp, "check_reverse_client_hostname_access, client %s[%s]",
                in->hostname ? in->hostname : "unknown", in->text);
        break;
    case AM_CHECK_HELO:
        fprintf(fp, "check_helo_access, HELO \"");
        put_visible(fp, in->text);
        fputc('"', fp);
        break;
    case AM_CHECK_SENDER:
        fprintf(fp, "check_sender_access, MAIL FROM:<");
        put_visible(fp, in->text);
        fputc('>', fp);
        break;
    case AM_CHECK_RECIPIENT:
        fprintf(fp, "check_recipient_access, RCPT TO:<");
        put_visible(fp, in->text);
        fputc('>', fp);
        break;
    default:
        fprintf(fp, "exact lookup of \"");
        put_visible(fp, in->text);
        fputc('"', fp);
        break;
    }
}

void
explain_text(FILE *fp, am_engine *e, const struct explain_input *x, int found,
             const struct am_answer *ans, const am_trace *trace)
{
    const struct am_trace_step *st;
    struct am_reply reply;
    struct am_error err;
    size_t i, table = (size_t) -1;
    int rc;

    describe_input(fp, x);
    fputc('\n', fp);
    for (i = 0; trace != NULL && i < am_trace_count(trace); i++) {
        st = am_trace_step(trace, i);
        if (st->table != table) {
            table = st->table;
            fprintf(fp, "%s\n", am_engine_table_name(e, table));
        }
        fputs("  ", fp);
        put_visible(fp, st->key);
        fprintf(fp, "%*s%-14s ", (int) (st->key && strlen(st->key) < 30 ? 30 - strlen(st->key) : 1),
                "", am_search_step_name(st->step));
        fputs(result_names[st->result], fp);
        if (st->result == AM_TRACE_SKIPPED)
            fputs(": pattern tables get only the full key", fp);
        if (st->value != NULL) {
            fputs(": ", fp);
            put_visible(fp, st->value);
        }
        if (st->loc.file != NULL && st->loc.line > 0)
            fprintf(fp, "  [%s:%u]", st->loc.file, st->loc.line);
        fputc('\n', fp);
    }
    if (!found) {
        fputs("decision: no entry applies (smtpd goes on with the next "
              "restriction)\n", fp);
        return;
    }
    fputs("decision: ", fp);
    put_visible(fp, ans->value);
    fprintf(fp, "\n  %s entry \"", ans->table_name);
    put_visible(fp, ans->key);
    fputc('"', fp);
    if (ans->loc.file != NULL && ans->loc.line > 0)
        fprintf(fp, " at %s:%u", ans->loc.file, ans->loc.line);
    fprintf(fp, "\n  action %s%s\n", am_action_kind_name(ans->action.kind),
            ans->final ? "" : " (evaluation goes on with the next restriction)");
    if (x->check == AM_CHECK_EXACT)
        return;
    am_reply_init(&reply);
    rc = am_engine_reply(e, ans, &reply, &err);
    if (rc == AM_REPLY_SENT)
        fprintf(fp, "  smtpd replies: %s%s\n", reply.line.data,
                reply.when == AM_REPLY_IF_REJECT ? " (if a later restriction rejects)"
                : reply.when == AM_REPLY_IF_PERMIT ? " (if the result would be to accept)"
                : "");
    else if (rc == AM_REPLY_DEPENDS)
        fputs("  smtpd's reply depends on the restrictions named in the value\n", fp);
    am_reply_free(&reply);
}

void
explain_json(FILE *fp, am_engine *e, const struct explain_input *x, int found,
             const struct am_answer *ans, const am_trace *trace)
{
    const struct am_trace_step *st;
    struct am_reply reply;
    struct am_error err;
    size_t i;

    fputs("{\"check\":", fp);
    put_json_string(fp, am_check_name(x->check));
    fputs(",\"input\":", fp);
    put_json_string(fp, x->in->text);
    if (x->in->hostname != NULL) {
        fputs(",\"hostname\":", fp);
        put_json_string(fp, x->in->hostname);
    }
    fputs(",\"tables\":[", fp);
    for (i = 0; i < am_engine_ntables(e); i++) {
        if (i)
            fputc(',', fp);
        put_json_string(fp, am_engine_table_name(e, i));
    }
    fputs("],\"steps\":[", fp);
    for (i = 0; trace != NULL && i < am_trace_count(trace); i++) {
        st = am_trace_step(trace, i);
        fprintf(fp, "%s{\"table\":", i ? "," : "");
        put_json_string(fp, am_engine_table_name(e, st->table));
        fputs(",\"key\":", fp);
        put_json_string(fp, st->key);
        fputs(",\"step\":", fp);
        put_json_string(fp, am_search_step_name(st->step));
        fprintf(fp, ",\"partial\":%s,\"result\":\"%s\"",
                st->fixed_only ? "true" : "false", result_ids[st->result]);
        if (st->value != NULL) {
            fputs(",\"value\":", fp);
            put_json_string(fp, st->value);
        }
        if (st->loc.file != NULL && st->loc.line > 0) {
            fputs(",\"file\":", fp);
            put_json_string(fp, st->loc.file);
            fprintf(fp, ",\"line\":%u", st->loc.line);
        }
        fputc('}', fp);
    }
    fputs("],\"decision\":", fp);
    if (!found) {
        fputs("null}\n", fp);
        return;
    }
    fputs("{\"table\":", fp);
    put_json_string(fp, ans->table_name);
    fputs(",\"key\":", fp);
    put_json_string(fp, ans->key);
    fputs(",\"value\":", fp);
    put_json_string(fp, ans->value);
    fputs(",\"action\":", fp);
    put_json_string(fp, am_action_kind_name(ans->action.kind));
    fprintf(fp, ",\"final\":%s", ans->final ? "true" : "false");
    if (ans->loc.file != NULL && ans->loc.line > 0) {
        fputs(",\"file\":", fp);
        put_json_string(fp, ans->loc.file);
        fprintf(fp, ",\"line\":%u", ans->loc.line);
    }
    am_reply_init(&reply);
    if (x->check != AM_CHECK_EXACT
        && am_engine_reply(e, ans, &reply, &err) == AM_REPLY_SENT) {
        fputs(",\"reply\":", fp);
        put_json_string(fp, reply.line.data);
    }
    am_reply_free(&reply);
    fputs("}}\n", fp);
}
