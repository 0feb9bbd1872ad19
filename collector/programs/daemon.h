/*
 * daemon.h - optional backgrounding and pid file for scanflowd.
 *
 * scanflowd stays in the foreground by default (systemd, containers and
 * terminals want that).  --daemon forks: the parent waits until the child
 * says it is ready (sockets bound) or has failed, so start-up errors still
 * reach the terminal and the parent's exit status tells an init script
 * whether the daemon runs.  --pidfile writes the pid under an exclusive
 * lock, so a second daemon with the same pid file refuses to start.
 */
#ifndef SF_DAEMON_H
#define SF_DAEMON_H

#include <glib.h>

/* Forks and returns in the child (a new session); the parent exits with
 * 0 once the child called sf_daemon_ready(), else with the child's status.
 * Call before any thread is created. */
gboolean sf_daemon_start(GError **err);

/* In the child: tells the parent to exit 0, then points stdin, stdout and
 * stderr at /dev/null.  A no-op when sf_daemon_start() was not called. */
void sf_daemon_ready(void);

typedef struct sf_pidfile sf_pidfile_t;
/* Creates (or takes over a stale) path with this process's pid, locked. */
sf_pidfile_t *sf_pidfile_new(const char *path, GError **err);
/* Removes the file and releases the lock; NULL is a no-op. */
void sf_pidfile_free(sf_pidfile_t *p);

#endif
