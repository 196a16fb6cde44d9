/*
 * fuzz_file.h - the fuzz targets that load files: the input as a temporary file.
 */
#ifndef PORTCULLIS_FUZZ_FILE_H
#define PORTCULLIS_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* fuzz_file - write data to a new file made from tmpl ("/tmp/x.XXXXXX", changed in place);
 * 0, or -1 when it could not (nothing is left behind) */
static inline int fuzz_file(char *tmpl, const uint8_t *data, size_t size)
{
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(tmpl);
		return -1;
	}
	close(fd);
	return 0;
}

#endif
