/*
 * scan.h - the shared pipeline: message in, findings and verdict out.
 */
#ifndef PORTCULLIS_SCAN_H
#define PORTCULLIS_SCAN_H

#include <stddef.h>

#include "compat.h"

struct session;
struct message;
struct findings;
struct verdict;
struct generation;
struct rule_run;
struct rule_hit;
struct ar_result;
struct ar_prop;

#define VERDICT_HEADER "X-Portcullis-Verdict"
#define AUTHRES_HEADER "Authentication-Results"
#define RECEIVED_SPF_HEADER "Received-SPF"
/* the release mark `portcullis quarantine release` puts on a message: "ID TOKEN" */
#define RELEASE_HEADER "X-Portcullis-Released"

/* Stages of the scan whose time the JSON log reports (SCAN_T_MIME includes the facts
 * before it; REPUTATION is mostly waiting for DNS answers started earlier) */
enum { SCAN_T_MIME = 0, SCAN_T_REPUTATION, SCAN_T_RULES, SCAN_T_POLICY, SCAN_T_N };
/* their names in the JSON log */
extern const char *const scan_stage_names[SCAN_T_N];

/* What the scan of one message found, kept for the log and `portcullis check`. */
struct scan_out {
	struct findings *findings;   /* owned */
	struct rule_run *run;        /* owned: the rules' evaluation, which owns the hits */
	const struct rule_hit *hits; /* borrowed from run: the rules that hit (monitor too) */
	size_t nhits;
	const char *const *limits; /* borrowed from run: rules stopped by a regex limit */
	size_t nlimits;
	double ms[SCAN_T_N]; /* milliseconds each stage took */
};

/* scan_message - collect findings, run the rules, ask the policy, finish the verdict;
 * -1 on failure (out is then empty) */
int scan_message(const struct session *s, const struct message *m, struct scan_out *out,
		 struct verdict *v) WUR;
/* scan_out_free - release and empty */
void scan_out_free(struct scan_out *o);
/* scan_helo - start the checks whose input is complete at HELO (SPF of the HELO name)
 * under g's settings; -1 on memory */
int scan_helo(struct session *s, struct generation *g) WUR;
/* scan_envelope - start the checks whose input is complete at MAIL FROM (SPF); -1 on memory */
int scan_envelope(struct session *s, struct message *m) WUR;
/* scan_envelope_wait - wait for those checks and keep their results in m; -1 on memory */
int scan_envelope_wait(const struct session *s, struct message *m) WUR;
/* scan_header - m's last stored header goes to the checks that read headers as they
 * arrive (DKIM); -1 on memory */
int scan_header(struct message *m) WUR;
/* scan_eoh - end of headers: DKIM reads the signatures and fetches their keys */
void scan_eoh(struct message *m);
/* scan_body - a body chunk for DKIM */
void scan_body(struct message *m, const void *p, size_t len);
/* scan_auth - finish DKIM, read the author strictly, evaluate DMARC (scan_envelope_wait
 * first: DMARC needs SPF); -1 on memory */
int scan_auth(const struct session *s, struct message *m) WUR;
/* scan_auth_facts - the DKIM, author and DMARC findings */
int scan_auth_facts(const struct session *s, const struct message *m, struct findings *f) WUR;
/* scan_auth_results - how many A-R results (dkim=, dmarc=) scan_auth_fill will write */
size_t scan_auth_results(const struct message *m, size_t *nprops);
/* scan_auth_fill - write them to r and props (sized by scan_auth_results); how many */
size_t scan_auth_fill(const struct message *m, struct ar_result *r, struct ar_prop *props);

/* scan_finish - the header edits every verdict carries: forged VERDICT_HEADERs
 * removed, and an accepted message stamped (failed: it was not checked) */
int scan_finish(const struct session *s, const struct message *m, struct verdict *v,
		int failed) WUR;

#endif
