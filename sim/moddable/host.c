/*
 * Headless host for the WakeLink-XS lin build (`mcconfig -m -p lin -t build` makes a shared
 * library, mc.so, that the SDK's GTK simulator normally loads). This program loads it the same
 * way, with no window: it hands the library a screen record from the SDK's own header
 * (build/simulators/modules/screen.h, so the layout always matches the installed SDK), starts the
 * firmware and runs the GLib main loop that the lin sockets, timers and promises run on.
 *
 * Compiled at test time by sim/moddable/build.ts with the system compiler; never committed built.
 *
 *   wakelink-host <path to mc.so>
 *
 * - stdout: the firmware console (trace), line buffered.
 * - stdin: one control line per message, delivered to the firmware as screen.onMessage(text)
 *   (firmware/platform/moddable/host/lin.ts answers). End of input stops the host (exit 0).
 * - fd 3, when open: the firmware's replies (screen.postMessage(text)), one line each.
 * - exit status: 0 stopped, 70 the XS machine aborted, 71 the library could not be loaded or
 *   launched, 75 the firmware asked for a restart (native/lin/board.c).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "screen.h"

#define HOST_EXIT_ABORT 70
#define HOST_EXIT_LAUNCH 71
#define HOST_REPLY_FD 3
/* Control lines longer than this are refused (the firmware's control messages are tiny). */
#define HOST_MAX_CONTROL_LINE 4096

static GMainLoop *gLoop = NULL;
static int gReplies = -1;

static void hostAbort(txScreen *screen, int status)
{
	(void)screen;
	fprintf(stdout, "[error] host: XS machine aborted (status %d)\n", status);
	fflush(stdout);
	_exit(HOST_EXIT_ABORT);
}

static void hostNothing(txScreen *screen)
{
	(void)screen;
}

static void hostStart(txScreen *screen, double interval)
{
	/* No display to refresh: the idle callback the simulator schedules here is not needed. */
	(void)screen;
	(void)interval;
}

static void hostPost(txScreen *screen, char *buffer, int size)
{
	(void)screen;
	if (gReplies < 0)
		return;
	size_t length = size ? (size_t)size : strlen(buffer);
	while (length > 0) {
		ssize_t written = write(gReplies, buffer, length);
		if (written < 0) {
			if (EINTR == errno)
				continue;
			gReplies = -1; /* the reader is gone; the console keeps working */
			return;
		}
		buffer += written;
		length -= (size_t)written;
	}
	if (write(gReplies, "\n", 1) < 0)
		gReplies = -1;
}

static gboolean hostControl(GIOChannel *channel, GIOCondition condition, gpointer data)
{
	txScreen *screen = data;
	if (condition & G_IO_IN) {
		gchar *line = NULL;
		gsize length = 0, terminator = 0;
		GIOStatus status = g_io_channel_read_line(channel, &line, &length, &terminator, NULL);
		if (G_IO_STATUS_NORMAL == status && line) {
			line[terminator] = 0;
			if ((terminator > 0) && (terminator <= HOST_MAX_CONTROL_LINE) && screen->invoke)
				(*screen->invoke)(screen, line, 0);
			g_free(line);
			return G_SOURCE_CONTINUE;
		}
		g_free(line);
		if (G_IO_STATUS_AGAIN == status)
			return G_SOURCE_CONTINUE;
	}
	g_main_loop_quit(gLoop);
	return G_SOURCE_REMOVE;
}

static gboolean hostSignal(gpointer data)
{
	(void)data;
	g_main_loop_quit(gLoop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s <path to mc.so>\n", argv[0]);
		return HOST_EXIT_LAUNCH;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A peer that resets a socket must be an error the firmware sees, not a signal that kills it. */
	signal(SIGPIPE, SIG_IGN);
	if (fcntl(HOST_REPLY_FD, F_GETFD) != -1)
		gReplies = HOST_REPLY_FD;

	void *library = dlopen(argv[1], RTLD_NOW);
	if (!library) {
		fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
		return HOST_EXIT_LAUNCH;
	}
	txScreenLaunchProc launch = (txScreenLaunchProc)dlsym(library, "fxScreenLaunch");
	if (!launch) {
		fprintf(stderr, "%s has no fxScreenLaunch: is it a lin build of a Moddable app?\n", argv[1]);
		return HOST_EXIT_LAUNCH;
	}

	txScreen *screen = calloc(1, sizeof(txScreen));
	if (!screen)
		return HOST_EXIT_LAUNCH;
	mxCreateMutex(&screen->workersMutex);
	screen->abort = hostAbort;
	screen->bufferChanged = hostNothing;
	screen->formatChanged = hostNothing;
	screen->post = hostPost;
	screen->start = hostStart;
	screen->stop = hostNothing;

	gLoop = g_main_loop_new(NULL, FALSE);
	GIOChannel *control = g_io_channel_unix_new(STDIN_FILENO);
	g_io_add_watch(control, G_IO_IN | G_IO_HUP | G_IO_ERR, hostControl, screen);
	g_unix_signal_add(SIGTERM, hostSignal, NULL);
	g_unix_signal_add(SIGINT, hostSignal, NULL);

	(*launch)(screen);
	if (!screen->machine) {
		fprintf(stderr, "the XS machine could not be created\n");
		return HOST_EXIT_LAUNCH;
	}
	g_main_loop_run(gLoop);
	if (screen->quit)
		(*screen->quit)(screen);
	fflush(stdout);
	return 0;
}
