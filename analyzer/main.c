/*
 * main.c — the ikemortem command-line entry: global options, the one top-level usage text,
 * and dispatch to the commands (analyzer/cmd_*.c).
 */
#include "cli.h"

#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "ikemortem - offline forensic analyzer for IPsec/IKE incidents on PAN-OS firewalls\n"
    "\n"
    "Usage: ikemortem <command> [options] INPUT...\n"
    "       ikemortem --help | --version\n"
    "\n"
    "Commands:\n"
    "  analyze   find every tunnel that went down and its probable root cause, with evidence\n"
    "  ingest    parse inputs into an SQLite timeline (events, IKE messages, exchanges)\n"
    "  rules     list or show the root-cause rules\n"
    "  timeline  print the merged timeline of a database, filtered by time, peer, tunnel, incident\n"
    "  batch     analyze a queue of bundles in parallel worker processes; one sorted summary table\n"
    "\n"
    "Run 'ikemortem <command> --help' for the options of a command.\n"
    "\n"
    "Exit codes:\n"
    "  0  done, every input fully read\n"
    "  1  done, but some input could not be fully read (details on stderr)\n"
    "  2  usage error\n"
    "  3  nothing could be done (no input readable, or the database failed)\n";

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"analyze", ikm_cmd_analyze},
    {"ingest", ikm_cmd_ingest},
    {"rules", ikm_cmd_rules},
    {"timeline", ikm_cmd_timeline},
    {"batch", ikm_cmd_batch},
};

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    /* SQLite's allocation statistics take a global mutex on every malloc and nothing here
     * reads them (a twentieth of the insert thread's time in perf) */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
#ifdef __GLIBC__
    /* each incident's evidence fills and empties temporary tables on every analysis thread;
     * with glibc's default threshold (128 KiB) the freed pages went back to the kernel and
     * were faulted in again for the next incident: a third of the analysis's time, in the
     * kernel. Peak memory is unchanged: the pages kept are those the next incident reuses. */
    mallopt(M_TRIM_THRESHOLD, 16 << 20);
#endif
    /* global options stop at the command name ('+': do not permute) */
    int c;
    while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            return IKM_EXIT_OK;
        case 'V':
            printf("ikemortem %s\n", IKM_VERSION);
            return IKM_EXIT_OK;
        default:
            fputs(usage_text, stderr);
            return IKM_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs(usage_text, stderr);
        return IKM_EXIT_USAGE;
    }
    const char *name = argv[optind];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            optind = 0; /* glibc: restart option scanning on the command's argv */
            return commands[i].run(sub_argc, sub_argv);
        }
    fprintf(stderr, "ikemortem: unknown command '%s'\n\n", name);
    fputs(usage_text, stderr);
    return IKM_EXIT_USAGE;
}
