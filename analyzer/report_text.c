/*
 * report_text.c — the short text summary for people, rendered from the JSON report so that
 * both always say the same: one block per incident (times, names, root cause and score, the
 * evidence lines that decide it with file:line / pcap frame, a ready tshark command, the
 * remedy, the other hypotheses), then recurrences, the checklist of what is missing, warnings.
 */
#include "report.h"

#include <string.h>

#define TEXT_EVIDENCE_MAX 6

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && *s ? s : dflt;
}

static void evidence_lines(const json_t *finding, FILE *out)
{
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(finding, "evidence"), i, ev) {
        if (i >= TEXT_EVIDENCE_MAX) {
            fprintf(out, "     … %zu more in the JSON report\n", json_array_size(json_object_get(finding, "evidence")) - i);
            break;
        }
        char where[600] = "";
        const char *src = str(ev, "source");
        json_t *line = json_object_get(ev, "line"), *frame = json_object_get(ev, "frame");
        if (json_is_integer(line))
            snprintf(where, sizeof where, "%s:%lld", src, (long long)json_integer_value(line));
        else if (json_is_integer(frame))
            snprintf(where, sizeof where, "%s frame %lld", src, (long long)json_integer_value(frame));
        else
            snprintf(where, sizeof where, "%s", src);
        fprintf(out, "     %-24s %s%s%s\n", str_or(ev, "time", "-"), where, where[0] ? "  " : "", str(ev, "text"));
    }
}

static void incident_block(const json_t *inc, FILE *out)
{
    fprintf(out, "#%lld %s at %s", (long long)json_integer_value(json_object_get(inc, "id")), str(inc, "kind"),
            str(inc, "time"));
    if (json_object_get(inc, "local_time"))
        fprintf(out, " (device local %s%s)", str(inc, "local_time"),
                json_is_true(json_object_get(inc, "local_time_assumed")) ? ", zone ASSUMED" : "");
    fprintf(out, "\n   device %s, gateway %s, tunnel %s, peer %s\n", str_or(inc, "device", "?"),
            str_or(inc, "gateway", "?"), str_or(inc, "tunnel", "?"), str_or(inc, "peer", "?"));
    const json_t *rc = json_object_get(inc, "root_cause");
    fprintf(out, "   root cause: %s (score %.2f) — %s\n", str(rc, "id"), json_number_value(json_object_get(rc, "score")),
            str(rc, "summary"));
    evidence_lines(rc, out);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(inc, "tshark"), i, t) fprintf(out, "   %s\n", str(t, "command"));
    fprintf(out, "   remedy: %s\n", str(rc, "remedy"));
    const json_t *hyp = json_object_get(inc, "hypotheses");
    if (json_array_size(hyp) > 0) {
        fprintf(out, "   also possible:");
        json_t *h;
        json_array_foreach(hyp, i, h) fprintf(out, "%s %s (%.2f)", i ? "," : "", str(h, "id"),
                                               json_number_value(json_object_get(h, "score")));
        fprintf(out, "\n");
    }
    const json_t *lv = json_object_get(inc, "liveness");
    if (lv && strcmp(str(lv, "basis"), "none") != 0) {
        fprintf(out, "   liveness (%s): %lld requests, %lld answered, %lld unanswered", str(lv, "basis"),
                (long long)json_integer_value(json_object_get(lv, "requests")),
                (long long)json_integer_value(json_object_get(lv, "answered")),
                (long long)json_integer_value(json_object_get(lv, "unanswered")));
        long long refused = (long long)json_integer_value(json_object_get(lv, "refused"));
        if (refused)
            fprintf(out, " (%lld refused with an error notify)", refused);
        fprintf(out, ", %lld retransmits", (long long)json_integer_value(json_object_get(lv, "retransmits")));
        if (json_is_string(json_object_get(lv, "last_answered")))
            fprintf(out, "; last answered %s", str(lv, "last_answered"));
        if (json_is_string(json_object_get(lv, "first_unanswered")))
            fprintf(out, "; first unanswered %s", str(lv, "first_unanswered"));
        fprintf(out, "\n");
    } else if (lv) {
        fprintf(out, "   liveness: no probe seen (no IKE capture or ikemgr debug lines cover the window)\n");
    }
    fprintf(out, "\n");
}

static int text_begin(void *ctx, const json_t *head)
{
    FILE *out = ctx;
    long long n = (long long)json_integer_value(json_object_get(head, "incident_count"));
    size_t ninputs = json_array_size(json_object_get(head, "inputs"));
    fprintf(out, "ikemortem %s: %lld incident%s in %zu input%s\n\n", str(json_object_get(head, "tool"), "version"), n,
            n == 1 ? "" : "s", ninputs, ninputs == 1 ? "" : "s");
    return ferror(out) ? -1 : 0;
}

static int text_incident(void *ctx, const json_t *inc)
{
    incident_block(inc, ctx);
    return ferror((FILE *)ctx) ? -1 : 0;
}

static int text_end(void *ctx, const json_t *tail)
{
    FILE *out = ctx;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(tail, "recurrence"), i, x) {
        fprintf(out, "recurrence: %s %s%s%s: %lld incidents, intervals", json_object_get(x, "tunnel") ? "tunnel"
                                                                         : json_object_get(x, "gateway") ? "gateway"
                                                                                                          : "peer",
                str_or(x, "tunnel", str_or(x, "gateway", str(x, "peer"))), json_is_string(json_object_get(x, "device")) ? " on " : "",
                str(x, "device"), (long long)json_integer_value(json_object_get(x, "count")));
        size_t k;
        json_t *iv;
        json_array_foreach(json_object_get(x, "intervals_s"), k, iv) {
            long long s = (long long)json_integer_value(iv);
            fprintf(out, "%s %lld min %02lld s", k ? "," : "", s / 60, s % 60);
        }
        fprintf(out, "%s\n", json_is_true(json_object_get(x, "regular")) ? " (regular)" : "");
    }
    int header = 0;
    json_array_foreach(json_object_get(tail, "checklist"), i, x) {
        if (json_is_true(json_object_get(x, "present")))
            continue;
        if (!header++)
            fprintf(out, "\nmissing — ask the customer for:\n");
        if (json_is_string(json_object_get(x, "device")))
            fprintf(out, "   %-14s %s [%s]\n", str(x, "item"), str(x, "why"), str(x, "device"));
        else
            fprintf(out, "   %-14s %s\n", str(x, "item"), str(x, "why"));
    }
    header = 0;
    json_array_foreach(json_object_get(tail, "warnings"), i, x) {
        if (!header++)
            fprintf(out, "\nwarnings:\n");
        fprintf(out, "   %s\n", json_string_value(x));
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

struct ikm_report_sink ikm_text_sink(FILE *out)
{
    struct ikm_report_sink s = {out, text_begin, text_incident, text_end};
    return s;
}
