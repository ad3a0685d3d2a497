/*
 * cmd_rules.c — `ikemortem rules list | show ID [--rules DIR]`: the cause rules the analysis
 * uses, built-in and added ones.
 */
#include "cli.h"

#include "../rules/engine.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char rules_usage[] =
    "Usage: ikemortem rules list [--rules DIR]\n"
    "       ikemortem rules show ID [--rules DIR]\n"
    "\n"
    "Lists the root-cause rules (id, severity, the incident kinds each applies to, title), or\n"
    "prints one rule file. --rules DIR adds DIR/*.sql as analyze --rules does.\n";

int ikm_cmd_rules(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rules", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'r') {
            dir = optarg;
        } else if (c == 'h') {
            fputs(rules_usage, stdout);
            return IKM_EXIT_OK;
        } else {
            fputs(rules_usage, stderr);
            return IKM_EXIT_USAGE;
        }
    }
    int nargs = argc - optind;
    const char *verb = nargs > 0 ? argv[optind] : NULL;
    if (!verb || !((strcmp(verb, "list") == 0 && nargs == 1) || (strcmp(verb, "show") == 0 && nargs == 2))) {
        fputs(rules_usage, stderr);
        return IKM_EXIT_USAGE;
    }
    struct ikm_ruleset rs = {0};
    char err[1024];
    if (ikm_rules_builtin(&rs, err, sizeof err) < 0 || (dir && ikm_rules_load_dir(&rs, dir, err, sizeof err) < 0)) {
        fprintf(stderr, "ikemortem rules: %s\n", err);
        ikm_rules_free(&rs);
        return dir ? IKM_EXIT_USAGE : IKM_EXIT_NOTHING;
    }
    int rc = IKM_EXIT_OK;
    if (strcmp(verb, "list") == 0) {
        printf("%-22s %-9s %-62s %s\n", "ID", "SEVERITY", "APPLIES TO", "TITLE");
        for (size_t i = 0; i < rs.n; i++)
            printf("%-22s %-9s %-62s %s%s\n", rs.rules[i].id, rs.rules[i].severity, rs.rules[i].applies_to,
                   rs.rules[i].title, strcmp(rs.rules[i].origin, "built-in") ? " (from --rules)" : "");
    } else {
        const struct ikm_rule *r = ikm_rules_find(&rs, argv[optind + 1]);
        if (!r) {
            fprintf(stderr, "ikemortem rules: no rule '%s' (ikemortem rules list)\n", argv[optind + 1]);
            rc = IKM_EXIT_USAGE;
        } else {
            printf("-- %s (%s)\n%s", r->id, r->origin, r->text);
            if (!*r->text || r->text[strlen(r->text) - 1] != '\n')
                printf("\n");
        }
    }
    ikm_rules_free(&rs);
    return rc;
}
