/*
 * scan.h - the shared pipeline: message in, findings and verdict out.
 */
#ifndef PORTCULLIS_SCAN_H
#define PORTCULLIS_SCAN_H

#include "compat.h"

struct session;
struct message;
struct findings;
struct verdict;
struct generation;

#define VERDICT_HEADER "X-Portcullis-Verdict"
#define AUTHRES_HEADER "Authentication-Results"
#define RECEIVED_SPF_HEADER "Received-SPF"

/* scan_message - collect findings, ask the policy, finish the verdict; -1 on failure */
int scan_message(const struct session *s, const struct message *m, struct findings **out,
		 struct verdict *v) WUR;
/* scan_helo - start the checks whose input is complete at HELO (SPF of the HELO name)
 * under g's settings; -1 on memory */
int scan_helo(struct session *s, struct generation *g) WUR;
/* scan_envelope - start the checks whose input is complete at MAIL FROM (SPF); -1 on memory */
int scan_envelope(struct session *s, struct message *m) WUR;
/* scan_envelope_wait - wait for those checks and keep their results in m; -1 on memory */
int scan_envelope_wait(const struct session *s, struct message *m) WUR;
/* scan_finish - the header edits every verdict carries: forged VERDICT_HEADERs
 * removed, and an accepted message stamped (failed: it was not checked) */
int scan_finish(const struct session *s, const struct message *m, struct verdict *v,
		int failed) WUR;

#endif
