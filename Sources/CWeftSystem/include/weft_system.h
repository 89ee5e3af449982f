// System interfaces Swift's Glibc module does not import: signalfd(2), which turns signals into a readable
// descriptor that a poll loop can wait on with its inputs.
#ifndef WEFT_SYSTEM_H
#define WEFT_SYSTEM_H

#include <signal.h>

#ifdef __linux__
#include <sys/signalfd.h>
#include <unistd.h>

// Blocks `signals` for the calling thread (so they are not delivered the usual way) and returns a non-blocking,
// close-on-exec descriptor that becomes readable when one is pending, or -1 with errno set.
static inline int weft_signalfd_open(const int *signals, int count) {
    sigset_t mask;
    sigemptyset(&mask);
    for (int i = 0; i < count; i++) sigaddset(&mask, signals[i]);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) return -1;
    return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

// Reads one pending signal from a descriptor made by weft_signalfd_open: its number, 0 if none is pending, or -1
// with errno set.
static inline int weft_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t count = read(fd, &info, sizeof info);
    if (count == (ssize_t)sizeof info) return (int)info.ssi_signo;
    return count < 0 ? -1 : 0;
}
#endif

#endif
