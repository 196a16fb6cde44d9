/*
 * callbacks.h - the libmilter adapter.
 */
#ifndef PORTCULLIS_CALLBACKS_H
#define PORTCULLIS_CALLBACKS_H

#include <libmilter/mfapi.h>

/* cb_register - smfi_register the filter description; MI_SUCCESS or MI_FAILURE */
int cb_register(const char *name);
/* cb_drain - answer new connections 451 4.3.2 from now on (shutting down) */
void cb_drain(void);
/* cb_active - connections currently served */
unsigned cb_active(void);

#endif
