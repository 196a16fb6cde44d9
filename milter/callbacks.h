/*
 * callbacks.h - the libmilter adapter.
 */
#ifndef PORTCULLIS_CALLBACKS_H
#define PORTCULLIS_CALLBACKS_H

#include <libmilter/mfapi.h>

/* cb_register - smfi_register the filter description; MI_SUCCESS or MI_FAILURE */
int cb_register(const char *name);
/* cb_active - connections currently open */
unsigned cb_active(void);

#endif
