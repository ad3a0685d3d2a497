/*
 * gen_show_log_system.c — writes a large, realistic `show log system direction equal
 * backward` text (../shared/formats.md §2.1) for benchmarking panlog_cli: newest entry
 * first, the CLI's fixed-width columns with object and event id cut as the CLI cuts them,
 * and a mix of subtypes — IKE/IKEv2 negotiation lines, DPD downs, deletes, routing (BGP),
 * commits (the routed/ike/rasmgr config-load lines + "Config installed"), logins, port and
 * HA changes, and a few continuation lines. Deterministic: the same size gives the same file.
 *
 *   gen_show_log_system [MB] > show_log_system.txt      (default 64 MB)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

static uint32_t pick(uint32_t n)
{
    return rnd() % n;
}

/* seconds since 1970 of the wall clock, printed as the CLI does */
static void fmt_time(char *out, size_t n, int64_t t)
{
    int64_t days = t / 86400;
    unsigned rem = (unsigned)(t % 86400); /* t > 0 */
    /* civil from days (Howard Hinnant) */
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(out, n, "%04u/%02u/%02u %02u:%02u:%02u", (unsigned)y % 10000u, m % 100u, d % 100u, rem / 3600 % 100u,
             rem % 3600 / 60, rem % 60);
}

static size_t emit(char *out, const char *ts, const char *sev, const char *sub, const char *obj, const char *evid,
                   const char *desc)
{
    return (size_t)sprintf(out, "%s %-8s %-7s %-6.6s %-7.7s 0  %s\n", ts, sev, sub, obj, evid, desc);
}

static const char *const gws[] = {"seapa-gw", "nyc-dc1", "azure-vpn", "aws-east-1", "branch-042", "IKE-GW-FGT"};
static const char *const tunnels[] = {"seapa-to-azeapa", "nyc-t1", "azure-t", "aws-t1", "br042-t", "fgt-tun"};

static void ip(char *out, size_t n, uint32_t salt)
{
    snprintf(out, n, "%u.%u.%u.%u", 10 + salt % 190, (salt >> 3) % 250, (salt >> 7) % 250, 1 + (salt >> 11) % 250);
}

int main(int argc, char **argv)
{
    long mb = argc > 1 ? strtol(argv[1], NULL, 10) : 64;
    if (mb <= 0 || mb > 1 << 20) {
        fprintf(stderr, "usage: gen_show_log_system [MB]\n");
        return 2;
    }
    uint64_t target = (uint64_t)mb << 20, written = 0;
    static char buf[1 << 16];
    char ts[64], desc[512], a[64], b[64];
    int64_t t = 1700000000; /* walks backwards: newest first */
    written += (uint64_t)printf("> show log system direction equal backward\n\n"
                                "Time                Severity Subtype Object EventID ID Description\n"
                                "==========================================================================="
                                "====\n");
    while (written < target) {
        size_t len = 0;
        while (len < sizeof buf - 4096) {
            t -= pick(4);
            fmt_time(ts, sizeof ts, t);
            uint32_t k = pick(1000), g = pick(6);
            ip(a, sizeof a, g * 7919);
            ip(b, sizeof b, g * 104729 + 17);
            if (k < 300) {
                static const char *const res[] = {"started", "succeeded"};
                static const char *const act[] = {"Initiated", "Established"};
                int child = (int)pick(2), r = (int)pick(2), resp = (int)pick(2), rekey = (int)pick(3) == 0;
                snprintf(desc, sizeof desc,
                         "IKEv2 %s SA negotiation is %s as %s, %s. %s SA: %s[500]-%s[500] SPI:%08x%08x:%08x%08x.",
                         child ? "child" : "IKE", res[r], resp ? "responder" : "initiator",
                         rekey ? "rekey" : "non-rekey", act[r], a, b, rnd(), rnd(), rnd(), rnd());
                len += emit(buf + len, ts, "informational", "vpn", child ? tunnels[g] : gws[g],
                            child ? (r ? "ikev2-nego-child-succ" : "ikev2-nego-child-start")
                                  : (r ? "ikev2-nego-ike-succ" : "ikev2-nego-ike-start"),
                            desc);
            } else if (k < 340) {
                snprintf(desc, sizeof desc,
                         "IKEv2 IKE SA negotiation is failed as initiator, non-rekey. Failed SA: %s[500]-%s[%u] "
                         "SPI:%08x%08x:0000000000000000.",
                         a, b, pick(4) ? 500 : 1024 + pick(60000), rnd(), rnd());
                len += emit(buf + len, ts, "informational", "vpn", gws[g], "ikev2-nego-ike-fail", desc);
            } else if (k < 350) {
                snprintf(desc, sizeof desc,
                         "IKE phase-1 negotiation is failed as initiator, main mode. Failed SA: %s[500]-%s[500] "
                         "cookie:%08x%08x:0000000000000000 due to timeout.",
                         a, b, rnd(), rnd());
                len += emit(buf + len, ts, "informational", "vpn", gws[g], "ike-nego-p1-fail", desc);
            } else if (k < 380) {
                len += emit(buf + len, ts, "low", "vpn", gws[g], "ikev2-nego-ike-dpd",
                            "IKEv2 IKE SA is down determined by DPD.");
            } else if (k < 420) {
                snprintf(desc, sizeof desc, "IKE protocol IPSec SA delete message sent to peer. SPI:0x%08X.", rnd());
                len += emit(buf + len, ts, "informational", "vpn", tunnels[g], "ike-send-p2-delete", desc);
            } else if (k < 430) {
                len += emit(buf + len, ts, "informational", "vpn", gws[g], "ike-generic-event", "no proposal chosen.");
            } else if (k < 680) {
                static const char *const gen[] = {
                    "User admin logged in via Web from 10.0.10.55 using https",
                    "User admin logged out via Web from 10.0.10.55",
                    "Connection to Update server closed: updates.paloaltonetworks.com, source: 81.2.69.193",
                    "WildFire update job succeeded for user Auto update agent",
                    "Content update job succeeded for user Auto update agent",
                    "Session for user admin via Web from 10.0.10.55 timed out",
                };
                len += emit(buf + len, ts, "informational", "general", "", "general", gen[pick(6)]);
                if (pick(40) == 0)
                    len += (size_t)sprintf(buf + len, "    (continued: details of the previous entry)\n");
            } else if (k < 780) {
                snprintf(desc, sizeof desc, "BGP peer session enters %s state. peer name: peer-%u, peer IP: %s.",
                         pick(2) ? "established" : "idle", g, b);
                len += emit(buf + len, ts, "medium", "routing", "default", "routed-BGP-peer-enter-established",
                            desc);
            } else if (k < 830) {
                len += emit(buf + len, ts, "medium", "auth", "", "auth-fail",
                            "failed authentication for user 'admin'. Reason: Invalid username/password. From: "
                            "10.0.10.55.");
            } else if (k < 860) {
                /* a commit, newest line first */
                len += emit(buf + len, ts, "informational", "general", "", "unknown", "Config installed");
                len += emit(buf + len, ts, "informational", "ras", "", "rasmgr-config-p2-success",
                            "RASMGR daemon configuration load phase-2 succeeded.");
                len += emit(buf + len, ts, "informational", "vpn", "", "ike-config-p2-success",
                            "IKE daemon configuration load phase-2 succeeded.");
                len += emit(buf + len, ts, "informational", "routing", "", "routed-config-p2-success",
                            "Route daemon configuration load phase-2 succeeded.");
                len += emit(buf + len, ts, "informational", "vpn", "", "ike-config-p1-success",
                            "IKE daemon configuration load phase-1 succeeded.");
                len += emit(buf + len, ts, "informational", "routing", "", "routed-config-p1-success",
                            "Route daemon configuration load phase-1 succeeded.");
            } else if (k < 880) {
                snprintf(desc, sizeof desc, "Port ethernet1/%u: %s", 1 + g, pick(2) ? "Up" : "Down");
                len += emit(buf + len, ts, "medium", "port", "ethernet1/1", "link-change", desc);
            } else if (k < 890) {
                len += emit(buf + len, ts, "critical", "ha", "", "state-change",
                            "HA Group 1: Moved from state Passive to state Active");
            } else {
                static const char *const misc[] = {
                    "NTP sync to server 10.0.0.1 succeeded",
                    "DHCP lease renewed on interface ethernet1/2: 203.0.113.7",
                    "Certificate 'GP-cert' expires in 30 days",
                    "Log forwarding to syslog server 10.0.0.9 resumed",
                };
                len += emit(buf + len, ts, "low", "general", "", "general", misc[pick(4)]);
            }
        }
        fwrite(buf, 1, len, stdout);
        written += len;
    }
    return 0;
}
