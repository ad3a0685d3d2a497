/*
 * cli.h — what the command-line entry shares with each command: the exit-code contract
 * (DESIGN.md, README "Exit codes") and the command entry points.
 */
#ifndef IKM_CLI_H
#define IKM_CLI_H

enum ikm_exit {
    IKM_EXIT_OK = 0,      /* done; every input fully read */
    IKM_EXIT_PARTIAL = 1, /* done, but some input could not be fully read */
    IKM_EXIT_USAGE = 2,   /* bad command line */
    IKM_EXIT_NOTHING = 3, /* nothing could be done: no input readable, or the database failed */
};

#ifndef IKM_VERSION
#define IKM_VERSION "0.1.0"
#endif

/* Each command takes argv with argv[0] = the command name. */
int ikm_cmd_ingest(int argc, char **argv);
int ikm_cmd_analyze(int argc, char **argv);
int ikm_cmd_rules(int argc, char **argv);
int ikm_cmd_timeline(int argc, char **argv);
int ikm_cmd_batch(int argc, char **argv);

#endif
