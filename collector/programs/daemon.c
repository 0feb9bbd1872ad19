/*
 * daemon.c - --daemon (fork with a readiness pipe) and --pidfile (a file
 * locked with flock(2) for the life of the process).
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready_fd = -1;

gboolean sf_daemon_start(GError **err)
{
    int fds[2];
    pid_t pid;
    char c;

    if (pipe(fds) != 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "--daemon: pipe: %s", g_strerror(errno));
        return FALSE;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "--daemon: fork: %s", g_strerror(errno));
        return FALSE;
    }
    if (pid == 0) {
        close(fds[0]);
        ready_fd = fds[1];
        setsid();
        if (chdir("/") != 0)
            g_warning("--daemon: chdir /: %s", g_strerror(errno));
        return TRUE;
    }
    /* Parent: wait for "ready" or for the child to end. */
    close(fds[1]);
    ssize_t n;
    do
        n = read(fds[0], &c, 1);
    while (n < 0 && errno == EINTR);
    if (n == 1)
        _exit(0);
    int status = 1;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    _exit(WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
}

void sf_daemon_ready(void)
{
    int null;

    if (ready_fd < 0)
        return;
    null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    if (write(ready_fd, "r", 1) != 1)
        g_warning("--daemon: could not tell the parent: %s", g_strerror(errno));
    close(ready_fd);
    ready_fd = -1;
}

struct sf_pidfile {
    char *path;
    int   fd;
};

sf_pidfile_t *sf_pidfile_new(const char *path, GError **err)
{
    char text[32];
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int len;

    if (fd < 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "--pidfile %s: %s", path, g_strerror(errno));
        return NULL;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ssize_t n = read(fd, text, sizeof text - 1);
        text[n > 0 ? n : 0] = '\0';
        g_strchomp(text);
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "--pidfile %s: locked by a running scanflowd (pid %s)",
                    path, text[0] ? text : "?");
        close(fd);
        return NULL;
    }
    len = g_snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "--pidfile %s: %s", path, g_strerror(errno));
        close(fd);
        return NULL;
    }
    sf_pidfile_t *p = g_new0(sf_pidfile_t, 1);
    p->path = g_strdup(path);
    p->fd = fd;
    return p;
}

void sf_pidfile_free(sf_pidfile_t *p)
{
    if (p == NULL)
        return;
    unlink(p->path);
    close(p->fd);
    g_free(p->path);
    g_free(p);
}
