/*
 * cli_quarantine.h - `portcullis quarantine ...` and `portcullis why ...`.
 */
#ifndef PORTCULLIS_CLI_QUARANTINE_H
#define PORTCULLIS_CLI_QUARANTINE_H

/* cli_quarantine - argv[0] is "quarantine"; the exit status */
int cli_quarantine(int argc, char **argv);
/* cli_why - argv[0] is "why"; the exit status */
int cli_why(int argc, char **argv);

#endif
