/*
 * floor.c - the receive floor of `make bench`: a bare UDP receive loop.
 *
 * It does what scanflowd's receive thread does to get datagrams and
 * nothing else: one socket on 127.0.0.1:PORT with a 32 MiB receive
 * buffer (SO_RCVBUFFORCE), poll(), then recvmmsg() of 64 datagrams at a
 * time (with their sender addresses), at most 16 batches a round, and a
 * 2 ms sleep after a round that found no backlog (scanflowd's default
 * --rx-coalesce-us).  The bytes are not looked at.  Its CPU time is the
 * least any collector on a socket pays for the same traffic.
 *
 *   floor PORT     prints "listening" once bound; on SIGTERM or SIGINT
 *                  prints "floor: N datagrams, B bytes" and exits.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define DGRAM 65536

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int bind_udp(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), rcv = 32 << 20;

    if (fd < 0)
        return -1;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    static struct mmsghdr msgs[BATCH];
    static struct iovec iov[BATCH];
    static struct sockaddr_storage from[BATCH];
    unsigned long long n_dgrams = 0, n_bytes = 0;
    struct sigaction sa = { .sa_handler = on_signal };
    char *bufs = malloc((size_t)BATCH * DGRAM);
    int fd = argc == 2 ? bind_udp(atoi(argv[1])) : -1;

    if (fd < 0 || bufs == NULL) {
        fprintf(stderr, "usage: floor PORT (binds 127.0.0.1:PORT)\n");
        return 1;
    }
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    for (int i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){ bufs + (size_t)i * DGRAM, DGRAM };
        msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
                                           .msg_iov = &iov[i], .msg_iovlen = 1 };
    }
    printf("listening\n");
    fflush(stdout);
    while (!stop) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int backlog = 0;

        if (poll(&p, 1, 100) <= 0 || !(p.revents & POLLIN))
            continue;
        for (int rounds = 0; rounds < 16; rounds++) {
            for (int i = 0; i < BATCH; i++)
                msgs[i].msg_hdr.msg_namelen = sizeof from[i];
            int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
            if (n <= 0)
                break;
            n_dgrams += (unsigned)n;
            for (int i = 0; i < n; i++)
                n_bytes += msgs[i].msg_len;
            backlog = rounds > 0 || n == BATCH;
            if (n < BATCH)
                break;
        }
        if (!backlog && !stop)
            usleep(2000);
    }
    printf("floor: %llu datagrams, %llu bytes\n", n_dgrams, n_bytes);
    close(fd);
    free(bufs);
    return 0;
}
