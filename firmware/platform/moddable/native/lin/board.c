/*
 * WakeLink-XS native helpers for the lin host build (see ../board.js). This build runs the
 * firmware as a process on a test machine, started by our headless host (sim/moddable/host.c):
 * - the chip id comes from WAKELINK_CHIP_ID (the simulator's per-device state), so a device keeps
 *   its id across restarts as a board does;
 * - random bytes come from the kernel CSPRNG;
 * - restart exits with WAKELINK_RESTART_EXIT, and the host's parent starts the image again over
 *   the same preferences, which is what a reboot is;
 * - setting(key) reads WAKELINK_<KEY> (upper case), so one built image serves many test devices
 *   (LAN port, Wake-on-LAN target, relay URL, ...) without a rebuild per device.
 */
#include "xsmc.h"
#include "xsHost.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define WAKELINK_MAX_RANDOM_BYTES 256
#define WAKELINK_MAX_SETTING_NAME 48
/* Seen by sim/moddable: "the firmware asked for a restart", as opposed to a crash or a stop. */
#define WAKELINK_RESTART_EXIT 75

void xs_wakelink_chip_id(xsMachine *the)
{
	const char *text = getenv("WAKELINK_CHIP_ID");
	unsigned long id = 0x1A2B3C;
	if (text && *text) {
		char *end = NULL;
		errno = 0;
		id = strtoul(text, &end, 16);
		if (errno || !end || *end || (id > 0xFFFFFFFFUL))
			xsRangeError("WAKELINK_CHIP_ID must be 1-8 hex digits");
	}
	xsmcSetNumber(xsResult, (double)id);
}

void xs_wakelink_free_heap(xsMachine *the)
{
	/* A host process has no fixed heap; the memory figures come from the XS instrumentation. */
	xsmcSetInteger(xsResult, 0);
}

void xs_wakelink_random_bytes(xsMachine *the)
{
	xsIntegerValue length = xsmcToInteger(xsArg(0));
	size_t filled = 0;
	if ((length < 0) || (length > WAKELINK_MAX_RANDOM_BYTES))
		xsRangeError("random length out of range");
	xsmcSetArrayBuffer(xsResult, NULL, length);
	uint8_t *bytes = xsmcToArrayBuffer(xsResult);
	while (filled < (size_t)length) {
		ssize_t count = getrandom(bytes + filled, (size_t)length - filled, 0);
		if (count < 0) {
			if (EINTR == errno)
				continue;
			xsUnknownError("getrandom failed");
		}
		filled += (size_t)count;
	}
}

void xs_wakelink_restart(xsMachine *the)
{
	fflush(stdout);
	exit(WAKELINK_RESTART_EXIT);
}

void xs_wakelink_setting(xsMachine *the)
{
	char name[WAKELINK_MAX_SETTING_NAME + 10] = "WAKELINK_";
	const char *key = xsmcToString(xsArg(0));
	size_t length = strlen(key), i;
	if ((0 == length) || (length > WAKELINK_MAX_SETTING_NAME))
		xsRangeError("setting name length");
	for (i = 0; i < length; i++) {
		char c = key[i];
		if (!isalnum((unsigned char)c) && ('_' != c))
			xsRangeError("setting name: letters, digits and _ only");
		name[9 + i] = (char)toupper((unsigned char)c);
	}
	name[9 + length] = 0;
	const char *value = getenv(name);
	if (value)
		xsmcSetString(xsResult, (char *)value);
}
